package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// request is what the load generator sends, again and again.
type request struct {
	Method string
	// URLs are the servers to send to; worker i sends to URLs[i%len].
	URLs   []string
	Body   []byte
	Header http.Header
	// Expect is a substring a 2xx body must hold, checked on a sample
	// (every sampleEvery-th response of a worker). Empty checks nothing.
	Expect string
}

// sampleEvery is how often a worker reads and checks a body in full.
const sampleEvery = 16

// loadResult is one bounded run of the load generator.
type loadResult struct {
	// OK are the 2xx answers; Errors the others and the failed requests;
	// BadBodies the sampled 2xx bodies without request.Expect.
	OK, Errors, BadBodies int64
	// Status counts answers by status code.
	Status  map[int]int64
	Elapsed time.Duration
	// FirstError describes the first failure seen, for the report.
	FirstError string
	hist       histogram
}

// RPS is the successful requests per second.
func (r *loadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// newClient is a keep-alive client that holds one connection per worker.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns * 4,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// runLoad sends req from conns workers at once, each waiting for its
// answer before sending again, for d, and returns what came back.
func runLoad(ctx context.Context, client *http.Client, req request, conns int, d time.Duration) *loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	results := make([]*loadResult, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		results[w] = &loadResult{Status: map[int]int64{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, client, req, req.URLs[w%len(req.URLs)], results[w])
		}()
	}
	wg.Wait()
	total := &loadResult{Status: map[int]int64{}, Elapsed: time.Since(start)}
	for _, r := range results {
		total.OK += r.OK
		total.Errors += r.Errors
		total.BadBodies += r.BadBodies
		for code, n := range r.Status {
			total.Status[code] += n
		}
		if total.FirstError == "" {
			total.FirstError = r.FirstError
		}
		total.hist.merge(&r.hist)
	}
	return total
}

// work is one worker's loop, until ctx ends.
func work(ctx context.Context, client *http.Client, req request, url string, r *loadResult) {
	fail := func(msg string) {
		r.Errors++
		if r.FirstError == "" {
			r.FirstError = msg
		}
	}
	for n := 0; ctx.Err() == nil; n++ {
		hr, err := http.NewRequestWithContext(ctx, req.Method, url, bytes.NewReader(req.Body))
		if err != nil {
			fail(err.Error())
			return
		}
		for k, v := range req.Header {
			hr.Header[k] = v
		}
		t0 := time.Now()
		resp, err := client.Do(hr)
		if err != nil {
			if ctx.Err() != nil {
				return // the run ended while the request was in flight
			}
			fail(err.Error())
			continue
		}
		check := req.Expect != "" && n%sampleEvery == 0
		var body []byte
		if check || resp.StatusCode/100 != 2 {
			body, err = io.ReadAll(resp.Body)
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fail(err.Error())
			continue
		}
		r.hist.record(time.Since(t0))
		r.Status[resp.StatusCode]++
		if resp.StatusCode/100 != 2 {
			fail(fmt.Sprintf("%d %.200s", resp.StatusCode, body))
			continue
		}
		r.OK++
		if check && !bytes.Contains(body, []byte(req.Expect)) {
			r.BadBodies++
			if r.FirstError == "" {
				r.FirstError = fmt.Sprintf("body without %q: %.200s", req.Expect, body)
			}
		}
	}
}
