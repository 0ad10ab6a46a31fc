package authserver

import "github.com/portcullis/portcullis/mfa"

// spineOnly is true while package mfa is the spine's stubs (NewSealer
// fails): the sign-in then runs without factors, so that the server
// starts. TODO(merge h-mfa): delete this file and the spineOnly checks in
// newSignin.
var spineOnly = func() bool { _, err := mfa.NewSealer(make([]byte, 32)); return err != nil }()
