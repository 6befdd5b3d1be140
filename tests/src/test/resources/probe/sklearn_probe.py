"""scikit-learn's LogisticRegression on standardised features, the outside judge of the linear probe.

usage: sklearn_probe.py DIR DIM [C ...]
DIR holds train.f32 / test.f32 (little-endian float32 [N, DIM]) and train.i64 / test.i64 (int64 labels).
Prints one line "C <C> top1 <accuracy> iterations <n>" per C (default C = 1).
"""
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

d, dim = sys.argv[1], int(sys.argv[2])
cs = [float(c) for c in sys.argv[3:]] or [1.0]
xtr = np.fromfile(d + "/train.f32", dtype="<f4").reshape(-1, dim)
xte = np.fromfile(d + "/test.f32", dtype="<f4").reshape(-1, dim)
ytr = np.fromfile(d + "/train.i64", dtype="<i8")
yte = np.fromfile(d + "/test.i64", dtype="<i8")
scaler = StandardScaler().fit(xtr)
for c in cs:
    clf = LogisticRegression(C=c, max_iter=3000).fit(scaler.transform(xtr), ytr)
    print("C %r top1 %.6f iterations %d" % (c, clf.score(scaler.transform(xte), yte), int(np.max(clf.n_iter_))))
