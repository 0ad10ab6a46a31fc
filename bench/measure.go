package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// measurement is one target's figures in one round of one scenario.
type measurement struct {
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	Round    int    `json:"round"`
	// RPS is successful requests per second; CPUPerReq the server's CPU
	// time per successful request, in µs (from /proc, USER_HZ ticks).
	RPS       float64 `json:"rps"`
	CPUPerReq float64 `json:"cpu_us_per_req"`
	// P50 and P99 are latencies in ms, as the load generator saw them.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	// RSS is the server's resident set after the load, in MiB.
	RSS       float64       `json:"rss_mib"`
	OK        int64         `json:"ok"`
	Errors    int64         `json:"errors"`
	BadBodies int64         `json:"bad_bodies"`
	Status    map[int]int64 `json:"status,omitempty"`
	// Value is the start scenario's median time to ready, in ms.
	Value float64 `json:"value_ms,omitempty"`
	Note  string  `json:"note,omitempty"`
}

// basicAuth is the bench client's client_secret_basic header (RFC 6749
// section 2.3.1: form-encoded, then base64).
func basicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(clientSecret)))
}

// formHeader is the headers of a form POST authenticated as the client.
func formHeader() http.Header {
	return http.Header{
		"Authorization": {basicAuth()},
		"Content-Type":  {"application/x-www-form-urlencoded"},
	}
}

// tokenRequest is scenario 1's request.
func tokenRequest(s *server) request {
	return request{
		Method: http.MethodPost, URLs: []string{s.tokenURL}, Header: formHeader(),
		Body:   []byte("grant_type=client_credentials&scope=read"),
		Expect: `"access_token"`,
	}
}

// getToken asks s for one access token.
func getToken(ctx context.Context, s *server) (string, error) {
	req := tokenRequest(s)
	hr, _ := http.NewRequestWithContext(ctx, req.Method, s.tokenURL, strings.NewReader(string(req.Body)))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &t) != nil || t.AccessToken == "" {
		return "", fmt.Errorf("%s: token: %d %.300s", s.name, resp.StatusCode, body)
	}
	return t.AccessToken, nil
}

// measure warms s up with req, then loads it for e.duration and reads its
// CPU time around the load and its RSS after.
func measure(ctx context.Context, e *env, s *server, req request) (*measurement, error) {
	if e.warmup > 0 {
		runLoad(ctx, e.client, req, e.conns, e.warmup)
	}
	cpu0, err := s.cpu()
	if err != nil {
		return nil, err
	}
	r := runLoad(ctx, e.client, req, e.conns, e.duration)
	cpu1, err := s.cpu()
	if err != nil {
		return nil, err
	}
	m := &measurement{
		RPS: r.RPS(), OK: r.OK, Errors: r.Errors, BadBodies: r.BadBodies, Status: r.Status,
		P50: ms(r.hist.percentile(0.50)), P99: ms(r.hist.percentile(0.99)),
		RSS: mib(s.rss()),
	}
	if r.OK > 0 {
		m.CPUPerReq = float64((cpu1 - cpu0).Microseconds()) / float64(r.OK)
	}
	if r.Errors > 0 || r.BadBodies > 0 {
		m.Note = r.FirstError
	}
	if r.OK == 0 {
		return m, fmt.Errorf("%s: no successful request: %s", s.name, r.FirstError)
	}
	return m, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }
