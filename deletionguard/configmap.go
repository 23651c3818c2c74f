package deletionguard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/retry"
)

// ConfigMapName is the ledger's ConfigMap, in the hook server's namespace.
const ConfigMapName = "hookops-deletion-guard"

// ConfigMapStore keeps the ledger in a ConfigMap, one key per credential.
// Every replica writes it with the resourceVersion it read, so two
// deletions admitted at once by two replicas cannot both take the last
// place.
type ConfigMapStore struct {
	Client    corev1client.ConfigMapsGetter
	Namespace string
}

// contention spreads the retries of writers that collide: a swept
// namespace sends all of its deletions at once.
var contention = wait.Backoff{Steps: 12, Duration: 20 * time.Millisecond, Factor: 1.5, Jitter: 1, Cap: time.Second}

func (s *ConfigMapStore) Update(ctx context.Context, change func(Ledger) bool) error {
	err := retry.OnError(contention, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		cms := s.Client.ConfigMaps(s.Namespace)
		cm, err := cms.Get(ctx, ConfigMapName, metav1.GetOptions{})
		exists := err == nil
		if apierrors.IsNotFound(err) {
			cm, err = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName, Namespace: s.Namespace,
				Labels: map[string]string{"app.kubernetes.io/name": "hookops"}}}, nil
		}
		if err != nil {
			return err
		}
		l, err := decode(cm)
		if err != nil {
			return err
		}
		if !change(l) {
			return nil
		}
		if cm.Data, err = encode(l); err != nil {
			return err
		}
		if exists {
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		} else {
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger ConfigMap %s/%s: %w", s.Namespace, ConfigMapName, err)
	}
	return nil
}

func decode(cm *corev1.ConfigMap) (Ledger, error) {
	l := Ledger{}
	for cred, v := range cm.Data {
		var entries []Entry
		if err := json.Unmarshal([]byte(v), &entries); err != nil {
			return nil, fmt.Errorf("key %q is not a list of deletions: %w", cred, err)
		}
		l[cred] = entries
	}
	return l, nil
}

func encode(l Ledger) (map[string]string, error) {
	data := make(map[string]string, len(l))
	for cred, entries := range l {
		b, err := json.Marshal(entries)
		if err != nil {
			return nil, err
		}
		data[cred] = string(b)
	}
	return data, nil
}
