// Package mirrorhooks serves the hooks of the mirror DecoratorController, which
// decorates every Namespace labelled mirror.hookops.dev/accept: "true" with
// copies of the ConfigMaps and Secrets that ask to be mirrored there. What
// should stand where is decided by the planning package shared with the
// client-go controller; these hooks translate Metacontroller's requests into
// its terms and its plan into attachments.
//
// Metacontroller deletes an attachment only when it owns it (a controller
// reference to the Namespace and its decorator annotation), and creates or
// overwrites whatever the hook returns. So the hooks return a copy only where
// nothing stands yet or where the object standing there is already owned;
// a foreign object of the same name is reported in the Namespace's
// mirror.hookops.dev/conflicts annotation and never returned.
package mirrorhooks

import (
	"log/slog"
)

// Hooks serves the mirror's customize, sync and finalize hooks. They keep
// no state: each answer is a function of the request.
type Hooks struct {
	// Log receives conflicts at debug level.
	Log *slog.Logger
}

// New returns Hooks with production defaults: they log to slog.Default().
// Its exported fields may be changed before the first call, never after.
func New() *Hooks { return &Hooks{Log: slog.Default()} }
