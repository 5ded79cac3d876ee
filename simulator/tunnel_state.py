"""Live IPsec state shared by the two ends of a tunnel, computed lazily from the world clock.

Nothing ticks: counters are piecewise-linear functions of simulated time and SA generations are
derived from anchors (start, reboot, recovery), so a thousand idle tunnels cost nothing and both
ends always agree (one end's encaps are the other's decaps; a rekey changes the SPIs of both).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import threading
from dataclasses import dataclass, field

DEFAULT_LIFETIME_S = 3600
DEFAULT_LIFETIME_KB = 4608000
# IOS starts a new quick mode shortly before the hard lifetime runs out.
REKEY_MARGIN_S = 30
AVERAGE_PACKET_BYTES = 120


class Counter:
    """A counter that grows at a rate which may change at known instants (past or future)."""

    def __init__(self, value: float = 0.0, rate: float = 0.0, at: float = 0.0) -> None:
        self._starts: list[float] = [at]
        self._values: list[float] = [value]
        self._rates: list[float] = [rate]

    def value(self, t: float) -> int:
        """The integer reading at simulated second `t`."""
        return math.floor(self._value(t) + 1e-9)

    def _value(self, t: float) -> float:
        i = max(0, bisect.bisect_right(self._starts, t) - 1)
        return self._values[i] + self._rates[i] * max(0.0, t - self._starts[i])

    def rate_at(self, t: float) -> float:
        """The rate in force at `t`."""
        i = max(0, bisect.bisect_right(self._starts, t) - 1)
        return self._rates[i]

    def set_rate(self, t: float, rate: float) -> None:
        """From `t` on grow at `rate`; forgets changes planned after `t`."""
        v = self._value(t)
        self._truncate(t)
        self._append(t, v, rate)

    def reset(self, t: float, value: float = 0.0) -> None:
        """Set the reading at `t` (a reboot or `clear crypto sa`), keeping the rate."""
        rate = self.rate_at(t)
        self._truncate(t)
        self._append(t, value, rate)

    def _truncate(self, t: float) -> None:
        keep = bisect.bisect_left(self._starts, t)
        del self._starts[keep:], self._values[keep:], self._rates[keep:]

    def _append(self, t: float, value: float, rate: float) -> None:
        self._starts.append(t)
        self._values.append(value)
        self._rates.append(rate)


@dataclass
class EndSeed:
    """What one end shows at the start: SPIs, remaining lifetimes, counters (the seed's values)."""

    spi_in: int | None = None
    spi_out: int | None = None
    remaining_in: int | None = None
    remaining_out: int | None = None
    encaps: int = 0
    decaps: int = 0
    send_errors: int = 0
    recv_errors: int = 0


@dataclass
class EndCounters:
    """The packet counters one end prints in `show crypto ipsec sa`."""

    encaps: Counter
    decaps: Counter
    send_errors: Counter
    recv_errors: Counter


@dataclass
class SaView:
    """What one end of the tunnel shows at an instant."""

    alive: bool
    ike_state: str | None
    generation: int
    spi_in: int
    spi_out: int
    remaining_in: int
    remaining_out: int
    remaining_kb_in: int
    remaining_kb_out: int
    encaps: int
    decaps: int
    send_errors: int
    recv_errors: int
    gen_encrypt: int
    gen_decrypt: int
    ike_created: int


@dataclass
class Tunnel:
    """One LAN-to-LAN tunnel between ends `a` and `b` (device names)."""

    name: str
    a: str
    b: str
    lifetime_s: int = DEFAULT_LIFETIME_S
    lifetime_kb: int = DEFAULT_LIFETIME_KB
    ike_version: int = 1
    rate_ab: float = 1.0
    rate_ba: float = 1.0
    seed_a: EndSeed = field(default_factory=EndSeed)
    seed_b: EndSeed = field(default_factory=EndSeed)
    error_rate: float = 0.2

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self.counters: dict[str, EndCounters] = {}
        for end, seed in ((self.a, self.seed_a), (self.b, self.seed_b)):
            self.counters[end] = EndCounters(
                encaps=Counter(seed.encaps),
                decaps=Counter(seed.decaps),
                send_errors=Counter(seed.send_errors),
                recv_errors=Counter(seed.recv_errors),
            )
        # The first generation ends when the end with the least remaining lifetime rekeys.
        remaining = [
            r
            for r in (
                self.seed_a.remaining_in,
                self.seed_a.remaining_out,
                self.seed_b.remaining_in,
                self.seed_b.remaining_out,
            )
            if r is not None
        ]
        self.first_gen_len = float(min(remaining)) if remaining else float(self.lifetime_s - REKEY_MARGIN_S)
        self.period = float(self.lifetime_s - REKEY_MARGIN_S)
        # (start, length of its first generation, its generation number); a reboot, a recovery or
        # `clear crypto sa` adds an anchor whose generation follows the one in force.
        self.anchors: list[tuple[float, float, int]] = [(0.0, self.first_gen_len, 0)]
        self.down_since: float | None = None  # tunnel_down: SAs gone at once
        self.broken_since: float | None = None  # phase 1 failing: SAs die at their next rekey
        self.one_way_into: set[str] = set()  # ends that receive nothing
        self.erroring: set[str] = set()
        self._reflow(0.0)

    # -- generations -------------------------------------------------------------------------
    def _generation(self, t: float) -> tuple[int, float, float, bool]:
        """(generation number, its start, its end, whether it is the seed's first one) at `t`."""
        i = max(0, bisect.bisect_right([a[0] for a in self.anchors], t) - 1)
        start, first_len, base = self.anchors[i]
        if t < start + first_len:
            return base, start, start + first_len, i == 0 and base == 0
        k = int((t - start - first_len) // self.period)
        g_start = start + first_len + k * self.period
        return base + 1 + k, g_start, g_start + self.period, False

    def _dead_at(self) -> float | None:
        """When the SAs disappear under the current faults (None while they live on)."""
        candidates = []
        if self.down_since is not None:
            candidates.append(self.down_since)
        if self.broken_since is not None:
            candidates.append(self._generation(self.broken_since)[2])
        return min(candidates) if candidates else None

    def alive(self, t: float) -> bool:
        """Whether IPsec SAs exist at `t`."""
        dead = self._dead_at()
        return dead is None or t < dead

    # -- faults and events ---------------------------------------------------------------------
    def set_down(self, t: float, down: bool) -> None:
        """Tear the SAs down now, or bring them back with fresh SPIs."""
        with self._lock:
            if down and self.down_since is None:
                self.down_since = t
            elif not down and self.down_since is not None:
                self.down_since = None
                self._new_anchor(t)
            self._reflow(t)

    def set_broken(self, t: float, broken: bool) -> None:
        """Phase 1 cannot complete (clock, CRL, identity): the SAs die at their next rekey."""
        with self._lock:
            if broken and self.broken_since is None:
                self.broken_since = t
            elif not broken and self.broken_since is not None:
                dead = self._generation(self.broken_since)[2]
                self.broken_since = None
                if t >= dead:
                    self._new_anchor(t)
            self._reflow(t)

    def set_one_way(self, t: float, end: str, on: bool) -> None:
        """`end` stops receiving: its decaps (and its peer's encaps) freeze."""
        with self._lock:
            (self.one_way_into.add if on else self.one_way_into.discard)(end)
            self._reflow(t)

    def set_errors(self, t: float, end: str, on: bool) -> None:
        """`end`'s send and receive errors start (or stop) climbing."""
        with self._lock:
            (self.erroring.add if on else self.erroring.discard)(end)
            self._reflow(t)

    def reboot(self, t: float, end: str) -> None:
        """`end` restarts: its counters go to zero and both ends negotiate new SAs."""
        with self._lock:
            c = self.counters[end]
            for counter in (c.encaps, c.decaps, c.send_errors, c.recv_errors):
                counter.reset(t, 0)
            self._new_anchor(t)
            self._reflow(t)

    def clear_sa(self, t: float) -> None:
        """`clear crypto sa`: new SAs at once."""
        with self._lock:
            self._new_anchor(t)
            self._reflow(t)

    def _new_anchor(self, t: float) -> None:
        current = self._generation(t)[0]
        self.anchors = [a for a in self.anchors if a[0] < t]
        self.anchors.append((t, self.period, current + 1))

    def _reflow(self, t: float) -> None:
        """Set every counter's rate from the current faults, from `t` (and at the SAs' death)."""
        dead = self._dead_at()
        for end, peer, rate_out in ((self.a, self.b, self.rate_ab), (self.b, self.a, self.rate_ba)):
            flowing = rate_out if peer not in self.one_way_into else 0.0
            self.counters[end].encaps.set_rate(t, flowing)
            self.counters[peer].decaps.set_rate(t, flowing)
            err = self.error_rate if end in self.erroring else 0.0
            self.counters[end].send_errors.set_rate(t, err)
            self.counters[end].recv_errors.set_rate(t, err / 2)
        if dead is not None:
            for c in self.counters.values():
                for counter in (c.encaps, c.decaps, c.send_errors, c.recv_errors):
                    counter.set_rate(max(dead, t), 0.0)

    # -- what the ends show ------------------------------------------------------------------------
    def spi(self, generation: int, sender: str) -> int:
        """The SPI of the SA carrying `sender`'s traffic in `generation` (its outbound SPI)."""
        receiver_seed = self.seed_b if sender == self.a else self.seed_a
        if generation == 0 and receiver_seed.spi_in:
            return receiver_seed.spi_in
        digest = hashlib.sha256(f"{self.name}/{generation}/{sender}".encode()).digest()
        return 0x10000000 + int.from_bytes(digest[:4], "big") % 0xE0000000

    def view(self, end: str, t: float) -> SaView:
        """Everything `end` prints about this tunnel at simulated second `t`."""
        with self._lock:
            peer = self.b if end == self.a else self.a
            seed = self.seed_a if end == self.a else self.seed_b
            gen, g_start, _g_end, first = self._generation(t)
            c = self.counters[end]
            alive = self.alive(t)
            since = t - g_start
            if first:
                rem_in = (seed.remaining_in or self.lifetime_s) - since
                rem_out = (seed.remaining_out or self.lifetime_s) - since
            else:
                skew = 0
                if seed.remaining_in and seed.remaining_out:
                    skew = min(20, max(0, seed.remaining_in - seed.remaining_out))
                rem_in = self.lifetime_s - since
                rem_out = self.lifetime_s - since - skew
            enc, dec = c.encaps.value(t), c.decaps.value(t)
            enc_gen = max(0, enc - (0 if first else c.encaps.value(g_start)))
            dec_gen = max(0, dec - (0 if first else c.decaps.value(g_start)))
            if first:
                # the seed's counters all belong to the SAs it shows
                enc_gen, dec_gen = enc, dec
            if not alive:
                ike = "MM_KEY_EXCH" if self.broken_since is not None and self.down_since is None else None
            else:
                ike = "QM_IDLE"
            return SaView(
                alive=alive,
                ike_state=ike,
                generation=gen,
                spi_in=self.spi(gen, peer),
                spi_out=self.spi(gen, end),
                remaining_in=max(1, int(rem_in)),
                remaining_out=max(1, int(rem_out)),
                remaining_kb_in=self.lifetime_kb - 1 - (dec_gen * AVERAGE_PACKET_BYTES) // 1024,
                remaining_kb_out=self.lifetime_kb - 1 - (enc_gen * AVERAGE_PACKET_BYTES) // 1024,
                encaps=enc,
                decaps=dec,
                send_errors=c.send_errors.value(t),
                recv_errors=c.recv_errors.value(t),
                gen_encrypt=enc_gen,
                gen_decrypt=dec_gen,
                ike_created=gen + 1,
            )
