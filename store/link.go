package store

import "time"

// Link ties a user to the person an upstream identity provider (a
// connector) knows: a federated sign-in finds its user by the pair
// (ConnectorID, Subject), never by the upstream's username or email.
type Link struct {
	// ConnectorID names the connector (connectors[].id).
	ConnectorID string `json:"connector_id"`
	// Subject is the upstream's stable identifier of the person.
	Subject string `json:"subject"`
	// UserID is the Portcullis user: its own random subject, never the
	// upstream's.
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
}
