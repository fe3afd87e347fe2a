# thurkube-c build. GNU make.
#
#   make            both binaries into build/
#   make check      Check unit suites + fuzz corpus replay (no server)
#   make test       everything CI runs (deps, build, check, manifests drift,
#                   lint, integration and end-to-end against a real control plane)
#   make SANITIZE=address,undefined <target>   any target, instrumented, in build/san/
#   make fuzz FUZZ_SECONDS=N   clang libFuzzer targets
#   make demo       local control plane, both services, samples applied

# The project version: --version, thurkube_build_info{version}, the image
# tags, the chart's version and appVersion and the manifests' image tags
# (tests/check-version keeps them equal).
VERSION ?= 0.2.0
# The commit in thurkube_build_info{revision}; images pass it as a build arg.
REVISION ?= $(shell git describe --always --dirty --abbrev=12 --exclude '*' 2>/dev/null || echo unknown)
# Where `make images` tags and `make push` pushes: REGISTRY/thurkube-*:VERSION.
REGISTRY ?= ghcr.io/thurbeen

CC ?= cc
ifeq ($(CC),)
CC := cc
endif

PKGS := libcurl json-c yaml-0.1 openssl check
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -fno-common
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 $(WARN) $(CFLAGS) -MMD -MP -iquote common -pthread \
	-DTHURKUBE_VERSION='"$(VERSION)"' -DTHURKUBE_REVISION='"$(REVISION)"' $(EXTRA_CFLAGS)
LDLIBS_BASE := -lcurl -ljson-c -lyaml -lssl -lcrypto -pthread -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

ifneq ($(SANITIZE),)
B ?= build/san
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
else
B ?= build
endif

COMMON_SRC := $(sort $(wildcard common/*.c common/runtime/*.c))
WEBHOOK_SRC := $(sort $(filter-out webhook/sslshim.c,$(wildcard webhook/*.c)))
CONTROLLER_SRC := $(sort $(wildcard controller/*.c controller/model/*.c controller/reconcile/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/obj/%.o)
WEBHOOK_OBJ := $(WEBHOOK_SRC:%.c=$(B)/obj/%.o)
CONTROLLER_OBJ := $(CONTROLLER_SRC:%.c=$(B)/obj/%.o)
WEBHOOK_LIBOBJ := $(filter-out $(B)/obj/webhook/main.o,$(WEBHOOK_OBJ))
CONTROLLER_LIBOBJ := $(filter-out $(B)/obj/controller/main.o,$(CONTROLLER_OBJ))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/replay/%)

LIBCOMMON := $(B)/libthurkube.a
SSLSHIM := $(B)/lib/libssl.so
WEBHOOK_BIN := $(B)/thurkube-webhook
CONTROLLER_BIN := $(B)/thurkube-controller
# CivetWeb dlopen()s "libssl.so"; our shim answers that name (see webhook/sslshim.c).
# Linked by path so the real -lssl below still resolves to the system libssl.so.3.
WEBHOOK_LDLIBS := -Wl,--no-as-needed $(SSLSHIM) -Wl,--as-needed -Wl,-rpath,'$$ORIGIN/lib' -lcivetweb $(LDLIBS_BASE)

.PHONY: all deps check test manifests manifests-check lint fuzz clean demo deploy \
	controlplane e2e bench valgrind images push FORCE

all: $(WEBHOOK_BIN) $(CONTROLLER_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Objects that compile the version or revision in are rebuilt when either
# changes: the stamp is rewritten only when its contents differ.
BUILDINFO := $(B)/buildinfo
$(BUILDINFO): FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION) $(REVISION)' | cmp -s - $@ || echo '$(VERSION) $(REVISION)' >$@
$(B)/obj/common/procmetrics.o $(B)/obj/webhook/main.o $(B)/obj/controller/main.o \
	$(B)/obj/tests/unit/test_procmetrics.o $(B)/obj/tests/unit/test_rt_healthsrv.o: $(BUILDINFO)

# The controller's layers are included by folder ("model/plan.h",
# "reconcile/apply.h"); tests/lint checks which layer may include which.
$(B)/obj/controller/%.o $(B)/obj/tests/unit/test_ctl_%.o $(B)/obj/tests/fuzz/fuzz_ctl_%.o: \
	ALL_CFLAGS += -iquote controller

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SSLSHIM): webhook/sslshim.c webhook/sslshim.h webhook/sslshim.map
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) -fPIC -shared -Wl,-soname,libssl.so \
		-Wl,--version-script=webhook/sslshim.map -o $@ $< -l:libssl.so.3 -l:libcrypto.so.3 -ldl

$(WEBHOOK_BIN): $(WEBHOOK_OBJ) $(LIBCOMMON) $(SSLSHIM)
	$(CC) $(LDFLAGS) -o $@ $(WEBHOOK_OBJ) $(LIBCOMMON) $(WEBHOOK_LDLIBS)

$(CONTROLLER_BIN): $(CONTROLLER_OBJ) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $(CONTROLLER_OBJ) $(LIBCOMMON) -lcivetweb $(LDLIBS_BASE)

# Unit suites: test_wh_* link the webhook objects, test_ctl_* the controller's,
# the rest only common. White-box tests may #include a .c instead.
$(B)/tests/test_wh_%: $(B)/obj/tests/unit/test_wh_%.o $(WEBHOOK_LIBOBJ) $(LIBCOMMON) $(SSLSHIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(WEBHOOK_LIBOBJ) $(LIBCOMMON) $(CHECK_LIBS) $(WEBHOOK_LDLIBS) \
		-Wl,-rpath,'$$ORIGIN/../lib'
$(B)/tests/test_ctl_%: $(B)/obj/tests/unit/test_ctl_%.o $(CONTROLLER_LIBOBJ) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(CONTROLLER_LIBOBJ) $(LIBCOMMON) $(CHECK_LIBS) -lcivetweb $(LDLIBS_BASE)
# test_rt_* (common/runtime) also link CivetWeb.
$(B)/tests/test_rt_%: $(B)/obj/tests/unit/test_rt_%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBCOMMON) $(CHECK_LIBS) -lcivetweb $(LDLIBS_BASE)
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBCOMMON) $(CHECK_LIBS) $(LDLIBS_BASE)

# Fuzz targets, replayed over their corpus by a plain driver in `make check`.
$(B)/replay/fuzz_wh_%: $(B)/obj/tests/fuzz/fuzz_wh_%.o $(B)/obj/tests/fuzz/replay.o $(WEBHOOK_LIBOBJ) $(LIBCOMMON) $(SSLSHIM)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(WEBHOOK_LDLIBS) -Wl,-rpath,'$$ORIGIN/../lib'
$(B)/replay/fuzz_ctl_%: $(B)/obj/tests/fuzz/fuzz_ctl_%.o $(B)/obj/tests/fuzz/replay.o $(CONTROLLER_LIBOBJ) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) -lcivetweb $(LDLIBS_BASE)
$(B)/replay/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(B)/obj/tests/fuzz/replay.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(LDLIBS_BASE)

check: $(UNIT_BIN) $(REPLAY_BIN) $(WEBHOOK_BIN) $(CONTROLLER_BIN)
	@B=$(B) tests/run-unit $(UNIT_BIN)
	@B=$(B) tests/run-replay $(REPLAY_BIN)

valgrind: $(UNIT_BIN)
	@VALGRIND=1 B=$(B) tests/run-unit $(UNIT_BIN)

deps:
	@tests/deps

manifests: $(CONTROLLER_BIN)
	tests/gen-manifests $(CONTROLLER_BIN)

manifests-check: $(CONTROLLER_BIN) $(WEBHOOK_BIN)
	tests/gen-manifests --check $(CONTROLLER_BIN) $(WEBHOOK_BIN)
	tests/check-version

lint:
	@tests/lint

fuzz:
	@tests/run-fuzz $(FUZZ_SECONDS)

controlplane:
	tests/controlplane/build

e2e: all
	@B=$(B) tests/run-e2e

# Everything CI runs, in order of cost: build, unit suites and fuzz corpora,
# CRD drift, lint, certs/gen-certs, the webhook over TLS, end-to-end against a real control
# plane; then the same unit and end-to-end suites under ASan+UBSan, the unit
# suites under valgrind, a short run of every fuzzer, and the container images.
test: deps
	$(MAKE) all check manifests-check lint
	tests/webhook/run-gencerts-tests
	B=$(B) tests/webhook/run-tls-tests
	B=$(B) tests/webhook/run-cluster-tests
	$(MAKE) e2e
	$(MAKE) SANITIZE=address,undefined check
	$(MAKE) SANITIZE=address,undefined e2e
	$(MAKE) valgrind
	tests/run-fuzz $(or $(FUZZ_SECONDS),10)
	$(MAKE) images

demo:
	@tests/demo

deploy:
	kubectl apply -k manifests/overlays/default

bench:
	@tests/bench/run

# Both images, tagged $(REGISTRY)/thurkube-{controller,webhook}:$(VERSION)
# with OCI labels (source, version, revision), then smoke-tested.
images:
	@VERSION='$(VERSION)' REVISION='$(REVISION)' REGISTRY='$(REGISTRY)' tests/images/run

# Push what `make images` built; the registry must be named on the command
# line or in the environment, never taken from the default.
push:
	@case '$(origin REGISTRY)' in command*|environment*) ;; \
	*) echo 'push: name the registry: make push REGISTRY=registry.example.com/team VERSION=$(VERSION)' >&2; exit 2 ;; esac
	@for s in controller webhook; do \
		img='$(REGISTRY)'/thurkube-$$s:'$(VERSION)'; \
		podman image exists "$$img" || { echo "push: $$img not built; run make images REGISTRY=$(REGISTRY) VERSION=$(VERSION)" >&2; exit 2; }; \
		echo "push: $$img"; podman push "$$img" || exit 1; \
	done

# make rootfs-controller|rootfs-webhook ROOTFS=DIR: the root file system of
# a container image: the binary in /thurkube (the webhook with its libssl
# shim), every shared library they load (ldd) at its path, "libcrypto.so"
# beside libcrypto.so.3 for CivetWeb's dlopen, CA certificates, tzdata,
# /etc/passwd and /etc/group with 65532, empty /tmp and /proc. Nothing else: no
# shell, no package manager.
ROOTFS ?= $(B)/rootfs
rootfs-%: $(B)/thurkube-%
	rm -rf '$(ROOTFS)'
	mkdir -p '$(ROOTFS)/thurkube' '$(ROOTFS)/etc/ssl/certs' '$(ROOTFS)/usr/share' '$(ROOTFS)/tmp' '$(ROOTFS)/proc'
	chmod 1777 '$(ROOTFS)/tmp'
	cp $< '$(ROOTFS)/thurkube/'
	set -e; libs="$<"; \
	if [ '$*' = webhook ]; then mkdir -p '$(ROOTFS)/thurkube/lib'; \
		cp $(SSLSHIM) '$(ROOTFS)/thurkube/lib/'; libs="$$libs $(SSLSHIM)"; fi; \
	for f in $$(ldd $$libs | awk '$$2 == "=>" && $$3 ~ /^\// { print $$3 } $$1 ~ /^\// { print $$1 }' | sort -u); do \
		cp -L --parents "$$f" '$(ROOTFS)/'; \
		case "$$f" in */libcrypto.so.3) ln -sf libcrypto.so.3 '$(ROOTFS)'"$${f%.3}" ;; esac; \
	done
	cp -L /etc/ssl/certs/ca-certificates.crt '$(ROOTFS)/etc/ssl/certs/'
	cp -a /usr/share/zoneinfo '$(ROOTFS)/usr/share/'
	printf 'root:x:0:0:root:/:/nonexistent\nnonroot:x:65532:65532:nonroot:/:/nonexistent\n' >'$(ROOTFS)/etc/passwd'
	printf 'root:x:0:\nnonroot:x:65532:\n' >'$(ROOTFS)/etc/group'

clean:
	rm -rf build

# Test and fuzz objects are intermediates of their binaries; keep them.
.SECONDARY:

-include $(COMMON_OBJ:.o=.d) $(WEBHOOK_OBJ:.o=.d) $(CONTROLLER_OBJ:.o=.d) \
	$(UNIT_SRC:tests/unit/%.c=$(B)/obj/tests/unit/%.d) $(FUZZ_SRC:tests/fuzz/%.c=$(B)/obj/tests/fuzz/%.d)
