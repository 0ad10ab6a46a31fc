package sdk

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strconv"
)

// Page is one page of a list: its items and, when there may be more, the
// cursor of the next page.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor is passed as ListOptions.Cursor to read the next page;
	// empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// ListOptions select a page of a list.
type ListOptions struct {
	// Limit is the page's size, 1 to 500. Zero means the server's
	// default, 50.
	Limit int
	// Cursor is the NextCursor of the previous page. Empty means the
	// first page.
	Cursor string
}

// values adds the page parameters to q (which may be nil) and returns it.
func (o ListOptions) values(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// getPage reads one page of path with the query q.
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) (Page[T], error) {
	var p Page[T]
	_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &p)
	return p, err
}

// all returns the items of path from the page q selects onwards, reading
// each page as the sequence reaches it. A failure is the sequence's last
// pair; stopping early reads no further page.
func all[T any](ctx context.Context, c *Client, path string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := maps.Clone(q) // each iteration starts where q says
		seen := map[string]bool{}
		for {
			p, err := getPage[T](ctx, c, path, q)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			if seen[p.NextCursor] {
				// A server that hands back a cursor twice would make
				// the loop endless.
				var zero T
				yield(zero, fmt.Errorf("sdk: GET %s%s: the server returned the same next_cursor twice", apiPath, path))
				return
			}
			seen[p.NextCursor] = true
			q.Set("cursor", p.NextCursor)
		}
	}
}
