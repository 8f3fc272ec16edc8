"""Reference run of scikit-learn's IsolationForest for the comparison spec and the benchmark.

usage: sklearn_iforest.py TRAIN.f64 N_TRAIN TEST.f64 N_TEST N_COLS N_ESTIMATORS MAX_SAMPLES SEEDS OUT.f64 [REPEATS]

Matrices are raw little-endian float64, row-major. SEEDS is one seed or a comma-separated list:
one forest is fitted per seed. Writes -score_samples(TEST) of each forest, one after the other
(so that, like NetSentry's score, higher is more anomalous, in (0, 1]) to OUT.f64 and prints
one JSON line with the mean fit time and the best score_samples time over REPEATS runs of the
first forest (timed inside python).
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest


def main(argv):
    train_path, n_train, test_path, n_test, n_cols, n_est, max_samples, seed, out_path = argv[1:10]
    repeats = int(argv[10]) if len(argv) > 10 else 1
    n_train, n_test, n_cols = int(n_train), int(n_test), int(n_cols)
    x_train = np.fromfile(train_path, dtype="<f8").reshape(n_train, n_cols)
    x_test = np.fromfile(test_path, dtype="<f8").reshape(n_test, n_cols)
    seeds = [int(s) for s in seed.split(",")]
    fit_s = 0.0
    best = float("inf")
    outputs = []
    for k, one_seed in enumerate(seeds):
        clf = IsolationForest(
            n_estimators=int(n_est),
            max_samples=min(int(max_samples), n_train),
            contamination="auto",
            random_state=one_seed,
        )
        t0 = time.perf_counter()
        clf.fit(x_train)
        fit_s += (time.perf_counter() - t0) / len(seeds)
        for _ in range(max(1, repeats) if k == 0 else 1):
            t0 = time.perf_counter()
            scores = clf.score_samples(x_test)
            if k == 0:
                best = min(best, time.perf_counter() - t0)
        outputs.append(-scores)
    np.concatenate(outputs).astype("<f8").tofile(out_path)
    print(json.dumps({"fit_s": fit_s, "score_s": best, "rows": n_test, "sklearn": __import__("sklearn").__version__}))


if __name__ == "__main__":
    main(sys.argv)
