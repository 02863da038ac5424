"""The thermal noise generator and the members-inner Heun kernel.

The noise of member i at step k is a pure function of (seed, k, i): Philox4x32-10
(Salmon et al., SC'11) and Box-Muller with series for ln and cos/sin. It is held to
Random123's known answers, to the C library's Box-Muller of the same bits, and to the
normal distribution; the kernel that consumes it, with the members in the inner loop, is
held to the members-outer kernel it replaced, given the same noise.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from labspin.physics import _llg_kernels as k
from labspin.physics._llg_reference import integrate_heun_reference, noise_of
from labspin.physics.llg import MacrospinProblem, integrate_heun, noise_key

W = np.uint64(0xFFFFFFFF)
#: Random123's known-answer vectors for philox4x32-10 (counter, key, output)
KNOWN = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
         ((W, W, W, W), (W, W), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
         ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
          (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.mark.parametrize("counter, key, expected", KNOWN)
def test_philox_gives_random123_known_answers(counter, key, expected):
    words = k.philox(*(np.uint64(c) for c in counter), *(np.uint64(c) for c in key))
    assert tuple(int(w) for w in words) == expected


def _noise(step: int, n: int, key) -> np.ndarray:
    out = np.empty((3, n))
    k.fill_normals(out[0], out[1], out[2], np.uint64(step), key[0], key[1])
    return out


def test_compiled_noise_is_box_muller_of_the_philox_words():
    key, step, n = noise_key(42), 7, 3000
    members = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        a = k.philox(np.uint64(step), members, np.uint64(0), np.uint64(0), key[0], key[1])
        b = k.philox(np.uint64(step), members, np.uint64(1), np.uint64(0), key[0], key[1])
        mine_numpy = np.array(k.normals(np.uint64(step), members, key[0], key[1]))

    def uniform53(high, low):
        return (((high << np.uint64(21)) | (low >> np.uint64(11))).astype(float) + 0.5) \
            * 2.0 ** -53

    r1 = np.sqrt(-2 * np.log(uniform53(a[0], a[1])))
    r2 = np.sqrt(-2 * np.log(uniform53(a[3], b[0])))
    v1, v2 = a[2] * 2.0 ** -32, b[1] * 2.0 ** -32
    libm = np.array([r1 * np.cos(2 * np.pi * v1), r1 * np.sin(2 * np.pi * v1),
                     r2 * np.cos(2 * np.pi * v2)])
    compiled = _noise(step, n, key)
    np.testing.assert_allclose(compiled, libm, rtol=0, atol=1e-14)
    np.testing.assert_allclose(compiled, mine_numpy, rtol=0, atol=1e-14)


def test_noise_is_standard_normal_and_uncorrelated():
    key = noise_key(3)
    steps = np.array([_noise(s, 20_000, key) for s in range(5)])  # (step, xyz, member)
    z = steps.ravel()
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert z.var() == pytest.approx(1.0, abs=4 * np.sqrt(2 / z.size))
    assert np.mean(z**4) == pytest.approx(3.0, abs=0.05)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for a, b in ((steps[:, 0], steps[:, 1]), (steps[:, 0], steps[:, 2]),
                 (steps[0], steps[1]), (steps[:, :, :-1], steps[:, :, 1:])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 4 / np.sqrt(a.size)


def _thermal() -> MacrospinProblem:
    return MacrospinProblem(alpha=0.05, b_applied=(0.0, 0.01, 0.02), b_anisotropy=5e-3,
                            easy_axis=(0.0, 1.0, 0.0), b_demag=1.0, b_dl=2e-3, b_fl=5e-4,
                            temperature=300.0, ms=8e5, volume=8e-24, pulse_width=1e-10)


def test_members_inner_kernel_follows_the_members_outer_one_given_the_same_noise():
    problem, n_steps, seed = _thermal(), 1200, 9
    m0 = np.tile([0.3, -0.95, 0.1], (13, 1)) / np.linalg.norm([0.3, -0.95, 0.1])
    before = integrate_heun_reference(problem, m0, 1e-13, n_steps,
                                      noise=noise_of(seed, n_steps, len(m0)))
    now = integrate_heun(problem, m0, 1e-13, n_steps, seed=seed, backend="numba")
    np.testing.assert_allclose(now, before, rtol=0, atol=1e-12)
    assert np.abs(now - m0).max() > 0.05  # the pulse moved them: the test has teeth
