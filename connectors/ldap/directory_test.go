package ldap

import (
	"github.com/jimlambrt/gldap"

	"github.com/portcullis/portcullis/connectors/ldap/ldaptest"
)

// The test directory's tree.
const (
	baseDN     = ldaptest.BaseDN
	peopleDN   = ldaptest.PeopleDN
	groupsDN   = ldaptest.GroupsDN
	serviceDN  = ldaptest.ServiceDN
	servicePW  = ldaptest.ServicePassword
	aliceDN    = "uid=alice," + peopleDN
	alicePW    = "alice-password"
	aliceUUID  = "5b1c8e7e-1f0a-4d0e-9a57-2c1f6f1e2a10"
	bobDN      = "uid=bob," + peopleDN
	bobPW      = "bob-password"
	lockedDN   = "uid=locked," + peopleDN
	lockedPW   = "locked-password"
	aliceGUIDx = "00ff10203040506070808090a0b0c0d0" // alice's objectGUID, hex
)

// tree is the test directory's content: people (one of whom, twin,
// appears twice), groups by member DN and by memberUid, and the service
// account.
func tree() []ldaptest.Entry {
	guid := string([]byte{0x00, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0})
	return []ldaptest.Entry{
		{DN: baseDN, Attrs: map[string][]string{"dc": {"example"}}},
		{DN: peopleDN, Attrs: map[string][]string{"ou": {"people"}}},
		{DN: groupsDN, Attrs: map[string][]string{"ou": {"groups"}}},
		{DN: serviceDN, Password: servicePW, Attrs: map[string][]string{"cn": {"portcullis"}}},
		{DN: aliceDN, Password: alicePW, Attrs: map[string][]string{
			"uid": {"alice"}, "mail": {"alice@example.org"}, "cn": {"Alice Liddell"},
			"entryUUID": {aliceUUID}, "objectGUID": {guid},
		}},
		{DN: bobDN, Password: bobPW, Attrs: map[string][]string{"uid": {"bob"}, "cn": {"Bob"}}},
		{DN: lockedDN, Password: lockedPW, Refuse: gldap.ResultUnwillingToPerform, Attrs: map[string][]string{"uid": {"locked"}}},
		{DN: "uid=twin," + peopleDN, Password: "twin", Attrs: map[string][]string{"uid": {"twin"}}},
		{DN: "uid=twin,ou=contractors," + peopleDN, Password: "twin", Attrs: map[string][]string{"uid": {"twin"}}},
		{DN: "cn=admins," + groupsDN, Attrs: map[string][]string{"cn": {"admins"}, "member": {aliceDN}}},
		{DN: "cn=developers," + groupsDN, Attrs: map[string][]string{"cn": {"developers"}, "member": {bobDN, aliceDN}}},
		{DN: "cn=nobody," + groupsDN, Attrs: map[string][]string{"cn": {"nobody"}}},
		{DN: "cn=ops," + groupsDN, Attrs: map[string][]string{"cn": {"ops"}, "memberUid": {"alice"}}},
	}
}
