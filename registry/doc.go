// Package registry owns how what is registered with the authorization
// server is spelled: a client's metadata and an API's (a resource
// server's), once for the YAML file, the management API, dynamic client
// registration and the Go SDK, so that a client created through the API
// reads like its entry in the file. It holds data and its encoding only:
// the rules live in config (the deployment decides what is valid) and the
// rows in store. It imports nothing heavy, so the SDK built on it stays
// light.
package registry
