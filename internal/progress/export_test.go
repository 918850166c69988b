package progress

// The parts' weights, for the tests that check where each part takes the bar.
const (
	FirstWeight  = firstWeight
	DomainWeight = domainWeight
	LaterWeight  = laterWeight
)
