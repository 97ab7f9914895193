"""The neurokit2 reference of `spasmwatch-bench detect`.

Usage: python neurokit_emg.py SAMPLES_FILE SAMPLE_RATE

SAMPLES_FILE holds the simulated EMG the SpasmWatch detector got, raw little-endian float32.
Times nk.emg_process over the whole signal (loading the file and importing neurokit2 are not
timed) and prints one line, `samples_per_second N`. Exit 3 when neurokit2 cannot be imported.
"""

import sys
import time
import warnings


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: neurokit_emg.py SAMPLES_FILE SAMPLE_RATE", file=sys.stderr)
        return 2
    path, rate = sys.argv[1], int(float(sys.argv[2]))
    try:
        import numpy as np
        import neurokit2 as nk
    except ImportError as error:
        print(f"cannot import neurokit2: {error}")
        return 3
    signal = np.fromfile(path, dtype="<f4").astype(np.float64)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    nk.emg_process(signal, sampling_rate=rate)
    elapsed = time.perf_counter() - start
    print(f"samples_per_second {len(signal) / elapsed:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
