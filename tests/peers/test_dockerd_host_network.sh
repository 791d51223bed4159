#!/usr/bin/env bash
# The suite leaves the host's network as it found it: the private dockerds of the peer tests,
# fixtures and benchmarks (dockerd_lib.sh) run with --bridge=none, with which dockerd deletes
# the link docker0, and a `make test` used to break a system docker's default network that way.
# A private dockerd runs a container here; afterwards docker0 (made here when the host has none)
# and the host's iptables, ip6tables and nftables rules are what they were before.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/dockerd_lib.sh"

require_root
[ -x "$DOCKERD" ] || skip_all "no dockerd at $DOCKERD"
[ -x "$DOCKER" ] || skip_all "no docker CLI"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
command -v ip >/dev/null || skip_all "no ip (iproute2)"

# The host's firewall, without counters and the timestamps of the save tools.
firewall() {
	local tool
	for tool in iptables-save ip6tables-save; do
		command -v $tool >/dev/null && $tool 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
	done
	command -v nft >/dev/null && nft list ruleset 2>/dev/null
	return 0
}
docker0() { ip -o link show dev docker0 2>/dev/null | awk '{print $2, $3}'; }

if ! ip link show dev docker0 >/dev/null 2>&1; then
	ip link add docker0 type bridge || skip_all "cannot make a bridge to stand for docker0"
	on_exit "ip link del docker0"
fi
docker0_before=$(docker0)
firewall_before=$(firewall)

on_exit stop_private_dockerd
PD_DIR=$TMP/pd
start_private_dockerd || { _not_ok "a private dockerd starts: $PD_START_ERROR"; finish; }
mkdir -p "$TMP/rootfs/bin"
cp /bin/busybox "$TMP/rootfs/bin/busybox"
ln -s busybox "$TMP/rootfs/bin/sh"
tar -C "$TMP/rootfs" -c . | timeout 60 "$DOCKER" import -c 'CMD ["sh"]' - hostnet-test:1 >/dev/null
out=$(timeout 60 "$DOCKER" run --rm hostnet-test:1 sh -c 'echo ran' 2>"$TMP/run.err")
check_eq "the private dockerd runs a container" "ran" "$out"
stop_private_dockerd

check_eq "docker0 is still there, as it was" "$docker0_before" "$(docker0)"
firewall_after=$(firewall)
if [ "$firewall_before" == "$firewall_after" ]; then
	_ok "the host's iptables and nftables rules are unchanged"
else
	_not_ok "the host's iptables and nftables rules are unchanged"
	_indent "$(diff <(echo "$firewall_before") <(echo "$firewall_after"))"
fi
finish
