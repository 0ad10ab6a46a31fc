// Package usage watches how Portcullis is used: rate limits on the token
// endpoint, the unauthenticated endpoints and the gateway's routes; usage
// records per client, API, route and hour; anomaly detectors that tell a
// stolen token, a runaway client or credential stuffing; and the alerts
// and automatic responses they trigger.
//
// The parts that see traffic (the authorization server, the gateway, the
// guard through a hook) report what happens as Events to one Sink; the
// usage counters and the detectors are Sinks, joined by Fanout. Nothing
// here blocks a request on storage: counters flush in the background, and
// detectors keep bounded state in memory.
package usage
