package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// Link is one of a user's links to an upstream identity as the management
// API shows it: the connector (connectors[].id) and the upstream's
// subject that a federated sign-in finds the user by.
type Link struct {
	ConnectorID string `json:"connector_id"`
	// Subject is the upstream's stable identifier of the person, not the
	// user's Portcullis subject.
	Subject string `json:"subject"`
	// CreatedAt is when the link was made: the first federated sign-in,
	// or the link by verified email.
	CreatedAt time.Time `json:"created_at"`
}

// LinkFromStore is l as the management API shows it.
func LinkFromStore(l store.Link) Link {
	return Link{ConnectorID: l.ConnectorID, Subject: l.Subject, CreatedAt: l.CreatedAt}
}
