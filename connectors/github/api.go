package github

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/internal/flow"
)

const (
	// apiVersion is the REST API version asked for
	// (docs.github.com/rest/about-the-rest-api/api-versions).
	apiVersion = "2022-11-28"
	// maxPages bounds the pages of one list read: a person in more than
	// 1,000 organisations or teams gets the first 1,000.
	maxPages = 10
	// maxBody bounds one answer of the API.
	maxBody = 1 << 20
)

// api reads GitHub's REST API with one access token.
type api struct {
	client *http.Client
	root   string
	token  string
}

// get decodes the JSON at root+path into out.
func (a api) get(ctx context.Context, path string, out any) error {
	_, err := a.fetch(ctx, a.root+path, out)
	return err
}

// list reads every page of a list at root+path (at most maxPages of 100,
// following the Link header's next, RFC 8288) and appends them to out.
func list[T any](ctx context.Context, a api, path string) ([]T, error) {
	var all []T
	next := a.root + path + "?per_page=100"
	for range maxPages {
		var page []T
		link, err := a.fetch(ctx, next, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next = nextLink(link); next == "" {
			break
		}
		// Pages are followed on the API's own host only: the token must
		// not go anywhere else.
		if !strings.HasPrefix(next, a.root+"/") {
			return nil, fmt.Errorf("%w: GET %s: the next page is not on the API's host", connectors.ErrRefused, path)
		}
	}
	return all, nil
}

// fetch GETs u into out and returns the Link header. 5xx, 429, a rate
// limit's 403 and no answer are connectors.ErrUpstream; other statuses and
// bodies that are not the expected JSON are connectors.ErrRefused.
func (a api) fetch(ctx context.Context, u string, out any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("github: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", apiVersion)
	req.Header.Set("Authorization", "Bearer "+a.token)
	path := req.URL.Path
	resp, err := a.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: GET %s: %w", connectors.ErrUpstream, path, err)
	}
	defer resp.Body.Close()
	rateLimited := resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") == "0"
	switch {
	case flow.Unavailable(resp.StatusCode) || rateLimited:
		return "", fmt.Errorf("%w: GET %s: HTTP %d", connectors.ErrUpstream, path, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%w: GET %s: HTTP %d", connectors.ErrRefused, path, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", fmt.Errorf("%w: GET %s: %w", connectors.ErrUpstream, path, err)
	}
	if len(body) > maxBody {
		return "", fmt.Errorf("%w: GET %s: the answer is larger than 1 MiB", connectors.ErrRefused, path)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return "", fmt.Errorf("%w: GET %s: %s", connectors.ErrRefused, path, flow.Bound(err.Error()))
	}
	return resp.Header.Get("Link"), nil
}

// nextLink returns the rel="next" target of a Link header (RFC 8288
// section 3), or "".
func nextLink(header string) string {
	for _, link := range strings.Split(header, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}
