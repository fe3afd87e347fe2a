// Command cert-manager runs a subset of cert-manager v1.21.2 for the thurkube
// end-to-end tests: the parts needed to issue and rotate a webhook serving
// certificate from a SelfSigned -> CA issuer chain, and to inject the CA into
// webhook configurations. The upstream command modules (cmd/controller,
// cmd/cainjector) are not published on the Go module proxy, so this start-up
// is written here against the library packages of the main module, all of
// which live outside internal/.
//
//	cert-manager controller --kubeconfig F [--healthz-addr A] [--namespace NS]
//	cert-manager cainjector --kubeconfig F [--healthz-addr A] [--namespace NS]
//
// No leader election (one process of each), no metrics endpoint, no ACME,
// Vault, Venafi or Gateway support. /healthz answers 200 once the informers
// have synced and the controllers run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	apireg "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	crclient "sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"

	// Issuer implementations register themselves with pkg/issuer in init().
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The controllers this binary runs; their packages register constructors
// with pkg/controller in init().
var wanted = []string{
	issuers.ControllerName,
	crapprover.ControllerName,
	crca.CRControllerName,
	crselfsigned.CRControllerName,
	trigger.ControllerName,
	issuing.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
}

type options struct {
	kubeconfig string
	healthz    string
	namespace  string
	workers    int
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: %s controller|cainjector --kubeconfig FILE [--healthz-addr HOST:PORT] [--namespace NS] [--workers N] [-v N]\n", os.Args[0])
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	var o options
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (required)")
	fs.StringVar(&o.healthz, "healthz-addr", "", "serve /healthz on this address")
	fs.StringVar(&o.namespace, "namespace", "", "only watch this namespace (default: all)")
	fs.IntVar(&o.workers, "workers", 5, "workers per controller")
	klog.InitFlags(fs)
	_ = fs.Parse(os.Args[2:])
	if o.kubeconfig == "" {
		usage()
	}
	logf.InitLogs()
	defer logf.FlushLogs()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, mode)

	var ready atomic.Bool
	if o.healthz != "" {
		if err := serveHealthz(ctx, o.healthz, &ready); err != nil {
			fail(err)
		}
	}
	var err error
	switch mode {
	case "controller":
		err = runController(ctx, o, &ready)
	case "cainjector":
		err = runCAInjector(ctx, o, &ready)
	default:
		usage()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fail(err)
	}
}

func fail(err error) {
	klog.ErrorS(err, "exiting")
	logf.FlushLogs()
	os.Exit(1)
}

func serveHealthz(ctx context.Context, addr string, ready *atomic.Bool) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("healthz listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}

// runController builds one ContextFactory (shared informers, clients, event
// recorder), constructs the wanted controllers from pkg/controller's registry,
// starts the informer factories and runs each controller until ctx ends.
func runController(ctx context.Context, o options, ready *atomic.Bool) error {
	log := logf.FromContext(ctx)
	factory, err := controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         o.kubeconfig,
		KubernetesAPIQPS:   50,
		KubernetesAPIBurst: 100,
		Namespace:          o.namespace,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: "kube-system",
		},
		CertificateOptions: controller.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return fmt.Errorf("context factory: %w", err)
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}
	known := controller.Known()
	var names []string
	var ifaces []controller.Interface
	for _, n := range wanted {
		fn, ok := known[n]
		if !ok {
			return fmt.Errorf("controller %q is not registered", n)
		}
		iface, err := fn(factory)
		if err != nil {
			return fmt.Errorf("controller %s: %w", n, err)
		}
		names = append(names, n)
		ifaces = append(ifaces, iface)
	}
	sort.Strings(names)
	log.Info("starting cert-manager controllers", "version", "v1.21.2 (library)", "controllers", names, "namespace", o.namespace)

	var wg sync.WaitGroup
	errs := make(chan error, len(ifaces))
	for i, iface := range ifaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := iface.Run(o.workers, ctx); err != nil {
				errs <- fmt.Errorf("controller %s: %w", wanted[i], err)
			}
		}()
	}
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	for t, ok := range base.SharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("informer %v did not sync", t)
		}
	}
	for t, ok := range base.KubeSharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("informer %s did not sync", t)
		}
	}
	ready.Store(true)
	log.Info("controllers running")

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case err := <-errs:
		return err
	case <-done:
	case <-ctx.Done():
		<-done
	}
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return nil
}

// runCAInjector runs a controller-runtime manager with cert-manager's injector
// reconcilers for Mutating/ValidatingWebhookConfigurations, sourcing the CA
// from a Certificate's Secret (cert-manager.io/inject-ca-from) or a Secret
// (inject-ca-from-secret). Secrets are read uncached, metadata-only watched.
func runCAInjector(ctx context.Context, o options, ready *atomic.Bool) error {
	log := logf.FromContext(ctx)
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	cfg = util.RestConfigWithUserAgent(cfg, "cainjector")
	ctrl.SetLogger(log)

	scheme := runtime.NewScheme()
	utilruntime.Must(kscheme.AddToScheme(scheme))
	utilruntime.Must(cmscheme.AddToScheme(scheme))
	utilruntime.Must(apiext.AddToScheme(scheme))
	utilruntime.Must(apireg.AddToScheme(scheme))

	cacheOpts := crcache.Options{ReaderFailOnMissingInformer: true}
	if o.namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]crcache.Config{o.namespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cacheOpts,
		Client:                 crclient.Options{Cache: &crclient.CacheOptions{DisableFor: []crclient.Object{&corev1.Secret{}}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	err = cainjector.RegisterAllInjectors(ctx, mgr, cainjector.SetupOptions{
		Namespace:                    o.namespace,
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   true,
			cainjector.ValidatingWebhookConfigurationName: true,
		},
	})
	if err != nil {
		return fmt.Errorf("register injectors: %w", err)
	}
	go func() {
		if mgr.GetCache().WaitForCacheSync(ctx) {
			ready.Store(true)
			log.Info("cainjector running", "namespace", o.namespace)
		}
	}()
	return mgr.Start(ctx)
}
