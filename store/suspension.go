package store

import "time"

// Suspension keeps a client from authenticating until Until: the
// authorization server answers it invalid_client, whether it is a client
// of the configuration file or of the store. Anomaly detection suspends
// clients (usage.Suspensions), and so does an operator (portcullis clients
// suspend); portcullis clients resume ends one early. Tokens the client
// holds are not revoked by it.
type Suspension struct {
	ClientID string
	// Until is when the suspension ends by itself.
	Until time.Time
	// Reason says why, for people: the anomaly rule, or the operator's
	// words. Never a secret.
	Reason    string
	CreatedAt time.Time
}
