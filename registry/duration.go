package registry

import (
	"encoding/json"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as Go spells it ("90s", "1h30m") in
// YAML and in JSON alike; JSON also accepts a number of seconds. Zero
// means unset: the deployment's default applies.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes d as a string such as "1h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 90s or 1h", s)
		}
		*d = Duration(v)
		return nil
	}
	var secs int64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("must be a duration such as \"90s\" or a whole number of seconds")
	}
	*d = Duration(time.Duration(secs) * time.Second)
	return nil
}

// UnmarshalYAML reads a duration string, as yaml.v3 does for
// time.Duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var v time.Duration
	if err := n.Decode(&v); err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
