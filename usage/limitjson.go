package usage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// limitJSON is a Limit as JSON spells it: the period as a duration string,
// as in the configuration file, rather than nanoseconds.
type limitJSON struct {
	Rate   int    `json:"rate"`
	Period string `json:"period,omitempty"`
	Burst  int    `json:"burst,omitempty"`
}

// MarshalJSON writes l as {"rate": 10, "period": "1m0s", "burst": 10}.
func (l Limit) MarshalJSON() ([]byte, error) {
	j := limitJSON{Rate: l.Rate, Burst: l.Burst}
	if l.Period != 0 {
		j.Period = l.Period.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown fields.
func (l *Limit) UnmarshalJSON(b []byte) error {
	var j limitJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return err
	}
	out := Limit{Rate: j.Rate, Burst: j.Burst}
	if j.Period != "" {
		p, err := time.ParseDuration(j.Period)
		if err != nil {
			return fmt.Errorf("period %q is not a duration such as 1m", j.Period)
		}
		out.Period = p
	}
	*l = out
	return nil
}
