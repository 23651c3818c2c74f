package deletionguard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// ConfigMapName is the ledger's ConfigMap, in the hook server's namespace.
const ConfigMapName = "hookops-deletion-guard"

// ConfigMapStore keeps the ledger in a ConfigMap, one key per credential.
// Every replica writes it with the resourceVersion it read, so two
// deletions admitted at once by two replicas cannot both take the last
// place. It goes through the dynamic client: client-go's typed clientset
// registers every Kubernetes API at start, several MiB of resident memory
// for one ConfigMap.
type ConfigMapStore struct {
	Client    dynamic.Interface
	Namespace string
}

var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// contention spreads the retries of writers that collide: a swept
// namespace sends all of its deletions at once.
var contention = wait.Backoff{Steps: 12, Duration: 20 * time.Millisecond, Factor: 1.5, Jitter: 1, Cap: time.Second}

func (s *ConfigMapStore) Update(ctx context.Context, change func(Ledger) bool) error {
	err := retry.OnError(contention, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		cms := s.Client.Resource(configMaps).Namespace(s.Namespace)
		cm, err := cms.Get(ctx, ConfigMapName, metav1.GetOptions{})
		exists := err == nil
		if apierrors.IsNotFound(err) {
			cm, err = newLedger(s.Namespace), nil
		}
		if err != nil {
			return err
		}
		data, _, err := unstructured.NestedStringMap(cm.Object, "data")
		if err != nil {
			return err
		}
		l, err := decode(data)
		if err != nil {
			return err
		}
		if !change(l) {
			return nil
		}
		if data, err = encode(l); err != nil {
			return err
		}
		if err := unstructured.SetNestedStringMap(cm.Object, data, "data"); err != nil {
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

func newLedger(namespace string) *unstructured.Unstructured {
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetName(ConfigMapName)
	cm.SetNamespace(namespace)
	cm.SetLabels(map[string]string{"app.kubernetes.io/name": "hookops"})
	return cm
}

func decode(data map[string]string) (Ledger, error) {
	l := Ledger{}
	for cred, v := range data {
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
