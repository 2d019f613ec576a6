# Rumpk / Rumkv. The two commands a user needs: `make demo` and `make test`.
# Everything else is a step they depend on. Installs are done by deploy/install-deps (idempotent).

ARCHES  := aarch64 riscv64
GUESTS  := $(notdir $(patsubst %/,%,$(dir $(wildcard guests/*/*.swift))))
GUESTS  := $(sort $(GUESTS))
BUILD   := build
SWIFT   ?= swift
SHELL   := /bin/bash
RUMPKCTL = .build/debug/rumpkctl

.PHONY: all deps images host test demo bench fuzz clean

all: images host

deps:
	@deploy/install-deps

# One ELF per arch and guest: build/images/<guest>-<arch>.elf (sizes printed as they link), Rumkv
# (build/rumkv), and each guest as a hosted Linux executable (build/hosted/<guest>). SwiftPM compiles
# every module of each build from Package.swift (docs/decisions/B1-one-build-description.md); the
# link scripts only link.
images: deps
	@for arch in $(ARCHES); do rumpk/compile-embedded cell-$$arch || exit 1; \
	  for g in $(GUESTS); do rumpk/link-image $$arch $$g $(BUILD) || exit 1; done; done
	@rumpk/compile-embedded rumkv-aarch64 && rumkv/link-image aarch64 $(BUILD)
	@$(SWIFT) build -q
	@for g in $(GUESTS); do rumpk/link-hosted $$g $(BUILD) >/dev/null || exit 1; done
	@echo "hosted cells: $(addprefix $(BUILD)/hosted/,$(GUESTS))"

host: deps
	$(SWIFT) build

# `make test` ends with a short bounded run of every fuzz target on its seeds (and earlier finds); `make fuzz`
# runs each for FUZZ_TIME seconds. Findings and new corpus entries go to build/fuzz (Tests/Fuzz/README.md).
FUZZ_SMOKE ?= 4
FUZZ_TIME  ?= 60

# The unit and QEMU tests, then the fuzz targets' short run; the last line counts both (XCTest's
# executed tests less its failures, and each fuzz target that ran clean).
test: images host
	@set -o pipefail; $(SWIFT) test 2>&1 | tee $(BUILD)/swift-test.log
	@set -o pipefail; Tests/Fuzz/run $(FUZZ_SMOKE) 2>&1 | tee $(BUILD)/fuzz-test.log
	@n=$$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' $(BUILD)/swift-test.log | tail -1 | \
	  sed -E 's/.*Executed ([0-9]+) tests?, with ([0-9]+) failures?.*/\1 \2/'); \
	  fuzzed=$$(grep -cE '^fuzz [a-z]+: ok' $(BUILD)/fuzz-test.log); \
	  echo "tests: $$(( $${n% *} - $${n#* } + fuzzed )) passed, $${n#* } failed"

fuzz: deps
	@Tests/Fuzz/run $(FUZZ_TIME)

# The main job: a Rumkv node under libvirt runs the hello cell; then the cell boots directly on both
# architectures. State (definitions, console logs, exit records) goes to build/state.
demo: images host
	@echo "== rumpkctl start cell hello   (Rumkv at EL2 under libvirt, hello at EL1)"
	@$(RUMPKCTL) start cell hello
	@for i in $$(seq 1 120); do \
	  $(RUMPKCTL) status hello --json | grep -q '"domainState":"running"' || break; sleep 0.5; done
	@echo "== rumpkctl status hello"
	@$(RUMPKCTL) status hello
	@echo "== rumpkctl logs hello"
	@$(RUMPKCTL) logs hello
	@echo "== rumpkctl stop hello"
	@$(RUMPKCTL) stop hello
	@$(RUMPKCTL) status hello --json | grep -q '"haltCode":0' || { echo "hello did not halt with code 0"; exit 1; }
	@for arch in $(ARCHES); do \
	  echo "== rumpkctl run hello --arch $$arch   (directly under QEMU)"; \
	  $(RUMPKCTL) run hello --arch $$arch --timeout 60 || { echo "hello on $$arch failed"; exit 1; }; \
	  echo "== hello on $$arch halted with code 0"; \
	done

# Host benchmarks (release builds, their own package so `make test` never builds them) and the
# in-guest costs under -icount. Results and commands: docs/benchmarks.md.
bench: images host
	@# SwiftPM keeps a path dependency's build plan across source files being added: drop it.
	@rm -f .build-bench/release.yaml .build-bench/debug.yaml
	swift run -c release --package-path Benchmarks --scratch-path .build-bench ion-bench --reps 5 --scale 0.25
	swift run -c release --package-path Benchmarks --scratch-path .build-bench switch-bench
	@for arch in $(ARCHES); do echo "== bench guest, $$arch, -icount shift=0,sleep=off"; \
	  $(RUMPKCTL) run bench --arch $$arch --icount --timeout 120 | grep '^bench:' || exit 1; \
	  $(RUMPKCTL) run bench --arch $$arch --icount --timeout 120 --bootarg rumpk.bench=switch \
	    | grep -E '^bench: (kernel fiber|context) switch' || exit 1; done
	@echo "== bench guest, riscv64 without firmware (--bios none: the image's M-mode entry), boot line"
	@$(RUMPKCTL) run bench --arch riscv64 --bios none --icount --timeout 120 | grep '^bench: boot' || exit 1

# The host unit tests under AddressSanitizer (with LeakSanitizer), then ThreadSanitizer, each in its
# own build directory; the hosted fiber switch tells both sanitizers about every switch. The QEMU and
# libvirt tests are skipped: they check images under QEMU, not host code. Leaks in libraries the
# project does not own are suppressed in Tests/Sanitizers/lsan.supp (docs/decisions/K11-sanitizers.md).
SANITIZE_SKIP := '^BootTests\.|RumkvBootTests|HostileCellTests|LibvirtDeployTests'
.PHONY: sanitize
sanitize: images
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitizers/lsan.supp:print_suppressions=0 \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan --skip $(SANITIZE_SKIP)
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip $(SANITIZE_SKIP)

clean:
	rm -rf $(BUILD) .build .build-cell-aarch64 .build-cell-riscv64 .build-rumkv-aarch64
