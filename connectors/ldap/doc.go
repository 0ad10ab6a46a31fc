// Package ldap is the connector to an LDAP directory (OpenLDAP, 389 DS,
// Active Directory...), a connectors.Password: Portcullis's own sign-in
// page collects the username and password and this package checks them.
//
// It owns one sign-in's conversation with the directory (RFC 4511): the
// connection, over LDAPS or upgraded by StartTLS (RFC 4513 section 3)
// and verified against a configured CA or the system roots; the service
// account's bind; the search of the person's entry by a filter whose
// username is escaped (RFC 4515 section 3); the simple bind as that entry
// with the password (RFC 4513 section 5.1.3), which is the password
// check; the search of the person's groups as the service account again;
// and the mapping of the entry into a connectors.Identity. It knows
// nothing of Portcullis's users, sessions or pages.
//
// Each Login opens its own connection and closes it. Sign-ins are rare
// and each already makes four or five round trips, so a pool would save
// little; and a connection that lives for one login cannot carry one
// person's bind into the next login, nor leave a dead pooled socket for
// the next login to stumble on. The whole login, connection included, is
// bounded by Config.Timeout.
package ldap
