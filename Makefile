# reddish: the two commands a new user needs are `make run` and `make test`.

CARGO ?= cargo
PORT ?= 6379

.PHONY: all build release run test deps unit fmt clippy bench bench-memory bench-conns fuzz clean

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Builds and starts a server on $(PORT) in the foreground (Ctrl-C stops it).
run: release
	./target/release/reddish-server --port $(PORT)

# Installs what the tests need (Debian's redis-server and redis-tools) if it
# is missing, then builds and runs every test: unit, integration, differential.
test: deps
	$(CARGO) build --all-targets
	$(CARGO) test -- --test-threads=2

deps:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then \
		echo "Installing redis-server and redis-tools (needed by the differential tests)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; \
	fi
	@# The Debian package starts a service on 6379; tests use free ports, so it may stay.

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

# Side-by-side throughput against redis-server (see scripts/bench.sh).
bench: release deps
	scripts/bench.sh

bench-memory: release deps
	scripts/bench.sh memory

clean:
	$(CARGO) clean

# Coverage-guided fuzzing of the request parser (tests/fuzz, cargo-fuzz).
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# 10,000 idle connections against both servers: RSS per connection.
bench-conns: release deps
	scripts/bench.sh conns
