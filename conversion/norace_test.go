//go:build !race

package conversion_test

const raceDetector = false
