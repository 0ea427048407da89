# Sekisho (関所) — top-level build.
#
#   make          build every program into build/bin/
#   make run      install dependencies, build, create ./var if missing, run the stack
#   make check    install dependencies, build (normal + ASan/UBSan), run every test
#   make asan     build with AddressSanitizer + UBSan into build-asan/
#   make bench    run the benchmarks
#   make fuzz     run each libFuzzer target briefly (FUZZ_SECONDS each)
#   make image    the bootable appliance disk (build/image/sekisho.raw, .qcow2; root)
#   make check-image  inspect the image, rebuild it to check reproducibility, boot it
#   make clean
#
# The build reads its dependencies from pkg-config only. Programs are assembled from
# three archives: lib/ (shared by every zone), the components' non-entry-point
# objects, and one *_main.c per program, so a unit test can link any module.

BUILD      ?= build
CC         ?= cc
OPT        ?= -O2 -D_FORTIFY_SOURCE=2
SAN        ?=
PKGS       := openssl sqlite3 jansson libsystemd libmicrohttpd libargon2 libseccomp libcurl \
              libarchive libisal libclamav libpng libjpeg harfbuzz freetype2 libopenjp2 zlib libdeflate \
              libqrencode tesseract lept libwebp libheif cairo pangocairo fontconfig
TEST_PKGS  := cmocka
FUZZ_SECONDS ?= 20

# Deferred (=) so that a fresh machine can run install-deps before pkg-config exists.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS)) $(MUPDF_LIBS) $(OCR_LIBS)
# Debian 12's MuPDF 1.21 is static (libmupdf.a) and its mupdf.pc is stale: its own
# archives, then the shared libraries they need (after them, for --as-needed).
MUPDF_LIBS  = -lmupdf -lmupdf-third -ljbig2dec -lgumbo -lmujs \
              $(shell pkg-config --libs harfbuzz freetype2 libopenjp2 libjpeg zlib) -lm
# libtesseract (C++, linked to libstdc++ and libgomp itself) needs nothing more, but
# ocr.c calls libgomp's omp_set_max_active_levels directly (see there).
OCR_LIBS    = -lgomp
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers \
             -Wno-format-truncation $(WARN_EXTRA)
CFLAGS    += -std=gnu11 $(WARN) $(OPT) -g -fstack-protector-strong -fPIE \
             -fno-strict-aliasing -Ilib $(addprefix -I,$(COMP_DIRS)) $(SAN)
LDFLAGS   += -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN)

# --- sources ------------------------------------------------------------------
LIB_SRCS  := $(wildcard lib/*.c)
COMP_DIRS := daemons/portald daemons/officed sanitizer bridge provisioning/sekishoctl
COMP_SRCS := $(filter-out %_main.c,$(foreach d,$(COMP_DIRS),$(wildcard $(d)/*.c)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
BENCH_SRCS:= $(wildcard tests/bench/bench_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# make V=1 shows every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_A   := $(BUILD)/lib/libsekisho.a
APP_A   := $(BUILD)/lib/libsekisho-app.a

# program name -> its entry point
PROGRAMS := sekisho-portald sekisho-officed sekisho-sanitized \
            sekisho-bridge-tx sekisho-bridge-rx sekishoctl sekisho-officewarm \
            sekisho-scanner
main_sekisho-portald    := daemons/portald/portald_main.c
main_sekisho-officed    := daemons/officed/officed_main.c
main_sekisho-sanitized  := sanitizer/sanitized_main.c
main_sekisho-bridge-tx  := bridge/bridge_tx_main.c
main_sekisho-bridge-rx  := bridge/bridge_rx_main.c
main_sekishoctl         := provisioning/sekishoctl/sekishoctl_main.c
main_sekisho-officewarm := sanitizer/officewarm_main.c
main_sekisho-scanner    := sanitizer/scanner_main.c

BINS       := $(addprefix $(BUILD)/bin/,$(PROGRAMS))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all tests asan run check check-quick bench bench-bridge bench-sanitize bench-portal bench-office fuzz fuzz-build clean deps \
        unit integration image check-image
.DEFAULT_GOAL := all
# Keep test and fuzz objects that chained pattern rules would otherwise delete.
.SECONDARY:

all: $(BINS)
tests: $(UNIT_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -Itests/unit -MMD -MP -c $< -o $@

$(LIB_A): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(APP_A): $(call obj,$(COMP_SRCS))
	@mkdir -p $(@D)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

define program_rule
$(BUILD)/bin/$(1): $(call obj,$(main_$(1))) $(APP_A) $(LIB_A)
	@mkdir -p $$(@D)
	$$(say) LD $$@
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(APP_A) $(LIB_A)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

# Tests that start the scanner process find it in ../bin.
$(BUILD)/tests/test_scan $(BUILD)/tests/test_scanproc: | $(BUILD)/bin/sekisho-scanner

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(APP_A) $(LIB_A)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- sanitizers ---------------------------------------------------------------
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  all tests

# --- the two commands ---------------------------------------------------------
deps:
	@provisioning/install-deps.sh

run: deps
	$(MAKE) all
	@scripts/dev-run.sh

check: deps
	$(MAKE) all tests
	$(MAKE) asan
	$(MAKE) fuzz-build
	@scripts/check.sh

# Without installing anything: for a developer who already has the dependencies.
check-quick: all tests
	@scripts/check.sh --quick

unit: tests
	@scripts/check.sh --unit-only

integration: all
	@scripts/check.sh --integration-only

bench: deps
	$(MAKE) all $(BENCH_BINS)
	@scripts/bench.sh $(BENCH_BINS)
	@/usr/bin/python3 tests/bench/bench_bridge_link.py
	@/usr/bin/python3 tests/bench/bench_portal.py

# The real bridge daemons over a veth pair between two network namespaces (root).
bench-bridge: deps
	$(MAKE) all $(BUILD)/bench/bench_bridge_codec
	@$(BUILD)/bench/bench_bridge_codec
	@/usr/bin/python3 tests/bench/bench_bridge_link.py

# The citizen portal through lighttpd with wrk: durable submissions per second.
bench-portal: deps
	$(MAKE) all
	@/usr/bin/python3 tests/bench/bench_portal.py

# The LGWAN office with 100,000 applications: list p50/p99 per filter, CSV rows/s,
# statistics, import bundles/s (tests/bench/bench_office.py).
bench-office: all
	@/usr/bin/python3 tests/bench/bench_office.py

# The sanitizer end to end (sandbox and both scans), against the issue's targets.
bench-sanitize: all $(BUILD)/bench/bench_sanitize $(BUILD)/bench/bench_ocr_service
	@$(BUILD)/bench/bench_sanitize
	@$(BUILD)/bench/bench_ocr_service

# --- the appliance image (root; `make check` runs it as its last suite) ----------
IMAGE_DIR ?= $(BUILD)/image
image: all
	@provisioning/install-deps.sh --image
	@image/build-image.sh $(IMAGE_DIR)

check-image: image
	@IMAGE_DIR=$(abspath $(IMAGE_DIR)) /usr/bin/python3 -m pytest -v -s tests/image

# --- fuzzing (clang's libFuzzer) ---------------------------------------------
FUZZ_BUILD := build-fuzz
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
fuzz-build:
	@if [ -n "$(FUZZ_SRCS)" ]; then \
	  $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	    WARN_EXTRA=-Wno-unknown-warning-option \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzz/%,$(FUZZ_SRCS)); fi

$(FUZZ_BUILD)/fuzz/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_BUILD)/lib/libsekisho-app.a $(FUZZ_BUILD)/lib/libsekisho.a
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS)

fuzz: deps fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz
