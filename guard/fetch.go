package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxResponse bounds what is read from the issuer, so that a misbehaving
// or hostile endpoint cannot exhaust memory.
const maxResponse = 1 << 20

// getJSON fetches url and decodes its JSON body into v, returning the
// response headers for callers that honour Cache-Control.
func getJSON(ctx context.Context, client *http.Client, url string, v any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return doJSON(client, req, v)
}

// doJSON sends req and decodes a 200 JSON answer into v.
func doJSON(client *http.Client, req *http.Request, v any) (http.Header, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxResponse)
	if resp.StatusCode != http.StatusOK {
		// Drain what is there so the connection can be reused.
		_, _ = io.Copy(io.Discard, body)
		return nil, fmt.Errorf("%s %s: status %d", req.Method, req.URL.Redacted(), resp.StatusCode)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return resp.Header, nil
}
