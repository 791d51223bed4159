# The two commands of the README: `make up` and `make test`. Both run as root on Debian 12 and
# install what they need first.
BUILD_DIR ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
# ON: compiler warnings fail the build (.ci/run sets it); a value given here reconfigures the build.
BERTH_WERROR ?=

.PHONY: all deps test-deps build install up test unit integration bench fuzz fresh-check deps-check format format-check shellcheck clang-tidy sanitize lint clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --with-tests

$(BUILD_DIR)/build.ninja $(BUILD_DIR)/Makefile:
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: deps $(BUILD_DIR)/Makefile
	@if [ -n "$(BERTH_WERROR)" ]; then cmake -B $(BUILD_DIR) -DBERTH_WERROR=$(BERTH_WERROR) >/dev/null; fi
	@cmake --build $(BUILD_DIR) -j $(JOBS)

install: build
	@for b in berth-runtime berth berthd berth-monitor berth-init; do \
		install -s -m 0755 $(BUILD_DIR)/bin/$$b $(PREFIX)/bin/$$b; done
	@install -d /etc/berth
	@if [ -d /lib/systemd/system ]; then \
		install -m 0644 contrib/systemd/berthd.service contrib/systemd/berthd.socket /lib/systemd/system/; fi

# `up` starts berthd (unless one runs) and runs the example: a busybox container through it.
up: test-deps install
	@scripts/example.sh

test: test-deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 900

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration: test-deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L integration

# A fresh Debian 12 builds berth and passes its unit tests with only what install-deps.sh
# installs: checked in a debian:bookworm container that berth itself runs (scripts/fresh-check.sh).
fresh-check: test-deps build
	@scripts/fresh-check.sh $(BUILD_DIR)

# Every header the sources include comes from a package install-deps.sh installs.
deps-check: test-deps
	@scripts/deps-check.sh

bench: test-deps build
	@bench/run.sh

# libFuzzer targets (clang 16, ASan, UBSan) in build-fuzz/: FUZZ_SECONDS per target, FUZZ_TARGETS
# to pick some (default: all).
FUZZ_SECONDS ?= 60
fuzz: test-deps
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

# Fails, naming file and line, when a tracked .cpp or .h differs from what `make format` makes.
format-check:
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror

# shellcheck on every tracked shell script (.shellcheckrc says which checks are off and why).
shellcheck:
	@scripts/shellcheck.sh

# clang-tidy 16 on src/ with the checks of .clang-tidy; fails on any finding. TIDY_CHANGED=REV
# checks only the files changed since REV (and those including a changed header).
clang-tidy: test-deps
	@scripts/clang-tidy.sh $(if $(TIDY_CHANGED),--changed $(TIDY_CHANGED))

# The unit tests built with ASan and UBSan in $(SANITIZE_DIR) (berth-runtime, berth-init and
# berth-monitor link -static, which the sanitizers cannot: no integration tests there).
SANITIZE_DIR ?= build-asan
sanitize: deps
	@[ -f $(SANITIZE_DIR)/CMakeCache.txt ] || cmake -S . -B $(SANITIZE_DIR) -DBERTH_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" >/dev/null
	@if [ -n "$(BERTH_WERROR)" ]; then cmake -B $(SANITIZE_DIR) -DBERTH_WERROR=$(BERTH_WERROR) >/dev/null; fi
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && ctest --output-on-failure -L unit -j $(JOBS)

# The cheap checks of .ci/run: formatting and shell scripts.
lint: format-check shellcheck

clean:
	@rm -rf $(BUILD_DIR)
