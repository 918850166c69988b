// Package truth is the contract between the benchmark data generator
// (cmd/mxgen) and the benchmark report (cmd/benchreport): what a correct
// mxverify run over the generated list must report.
package truth

import (
	"encoding/json"
	"fmt"
	"os"
)

// Statuses are mxverify's domain statuses, in the order its README explains
// them. They are repeated here, not imported, so that the benchmark tools
// check the CLI's output contract rather than share its code.
var Statuses = [...]string{
	"deliverable", "null_mx", "cname_misconfigured", "no_mx",
	"nxdomain", "dangling_mx", "temp_error", "invalid",
}

// Truth is the content of truth.json.
type Truth struct {
	Seed        uint64 `json:"seed"`
	Origin      string `json:"origin"`       // zone origin, without the trailing dot
	ZoneDomains int    `json:"zone_domains"` // domains generated (the -domains flag), in the zone or not
	Rows        int    `json:"rows"`         // address rows in list.csv
	// Domains is the number of distinct domains that appear in list.csv.
	Domains int `json:"domains"`
	// DomainsByStatus and AddressesByStatus hold every status, zeros included.
	DomainsByStatus   map[string]int `json:"domains_by_status"`
	AddressesByStatus map[string]int `json:"addresses_by_status"`
	// Queries is the number of lines of queries.txt: the distinct questions a
	// correct run has to ask at least.
	Queries       int `json:"queries"`
	ExchangeHosts int `json:"exchange_hosts"` // distinct MX targets among the listed domains
}

// New returns a Truth whose maps hold every status at zero.
func New() *Truth {
	t := &Truth{DomainsByStatus: map[string]int{}, AddressesByStatus: map[string]int{}}
	for _, s := range Statuses {
		t.DomainsByStatus[s] = 0
		t.AddressesByStatus[s] = 0
	}
	return t
}

// Read loads a truth.json file.
func Read(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := New()
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return t, nil
}

// Write stores t as indented JSON.
func (t *Truth) Write(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
