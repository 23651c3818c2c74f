package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/hookops/hookops/mirror"
)

// kinds are the kinds the mirror copies, in the order they are visited.
var kinds = []mirror.Kind{mirror.ConfigMap, mirror.Secret}

// kindClient is what the controller does with one kind of object, in the
// planner's terms: the watch that caches it, the conversion of what is
// cached, and the calls to the API server. It is the one place that tells
// a ConfigMap from a Secret.
type kindClient interface {
	// informer is the kind's informer in a factory.
	informer(f informers.SharedInformerFactory) cache.SharedIndexInformer
	// reduce turns a cached object into the planner's Object; ok is false
	// when obj is not of this kind.
	reduce(obj any) (o mirror.Object, ok bool)
	get(ctx context.Context, ref mirror.Ref) (mirror.Object, error)
	create(ctx context.Context, o *mirror.Object, opts metav1.CreateOptions) error
	update(ctx context.Context, o *mirror.Object, opts metav1.UpdateOptions) error
	delete(ctx context.Context, o *mirror.Object, opts metav1.DeleteOptions) error
	patch(ctx context.Context, ref mirror.Ref, pt types.PatchType, data []byte, opts metav1.PatchOptions) error
}

// kindClients returns the client of every kind the mirror copies.
func kindClients(client kubernetes.Interface) map[mirror.Kind]kindClient {
	return map[mirror.Kind]kindClient{
		mirror.ConfigMap: typedKind[*corev1.ConfigMap]{
			client: func(ns string) typedClient[*corev1.ConfigMap] { return client.CoreV1().ConfigMaps(ns) },
			informerOf: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
				return f.Core().V1().ConfigMaps().Informer()
			},
			from: mirror.FromConfigMap,
			to:   (*mirror.Object).ConfigMap,
		},
		mirror.Secret: typedKind[*corev1.Secret]{
			client: func(ns string) typedClient[*corev1.Secret] { return client.CoreV1().Secrets(ns) },
			informerOf: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
				return f.Core().V1().Secrets().Informer()
			},
			from: mirror.FromSecret,
			to:   (*mirror.Object).Secret,
		},
	}
}

// typedClient is the part of client-go's typed ConfigMap and Secret
// clients the controller calls.
type typedClient[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

// typedKind is a kindClient over one typed client and its conversions.
type typedKind[T any] struct {
	client     func(namespace string) typedClient[T]
	informerOf func(informers.SharedInformerFactory) cache.SharedIndexInformer
	from       func(T) mirror.Object
	to         func(*mirror.Object) T
}

func (k typedKind[T]) informer(f informers.SharedInformerFactory) cache.SharedIndexInformer {
	return k.informerOf(f)
}

func (k typedKind[T]) reduce(obj any) (mirror.Object, bool) {
	t, ok := obj.(T)
	if !ok {
		return mirror.Object{}, false
	}
	return k.from(t), true
}

func (k typedKind[T]) get(ctx context.Context, ref mirror.Ref) (mirror.Object, error) {
	t, err := k.client(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return mirror.Object{}, err
	}
	return k.from(t), nil
}

func (k typedKind[T]) create(ctx context.Context, o *mirror.Object, opts metav1.CreateOptions) error {
	_, err := k.client(o.Namespace).Create(ctx, k.to(o), opts)
	return err
}

func (k typedKind[T]) update(ctx context.Context, o *mirror.Object, opts metav1.UpdateOptions) error {
	_, err := k.client(o.Namespace).Update(ctx, k.to(o), opts)
	return err
}

func (k typedKind[T]) delete(ctx context.Context, o *mirror.Object, opts metav1.DeleteOptions) error {
	return k.client(o.Namespace).Delete(ctx, o.Name, opts)
}

func (k typedKind[T]) patch(ctx context.Context, ref mirror.Ref, pt types.PatchType, data []byte, opts metav1.PatchOptions) error {
	_, err := k.client(ref.Namespace).Patch(ctx, ref.Name, pt, data, opts)
	return err
}
