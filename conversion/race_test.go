//go:build race

package conversion_test

// The race detector makes the JSON-heavy property tests about eight times
// slower while the converters share no memory between goroutines, so under
// -race the properties run on a fifth of the objects.
const raceDetector = true
