"""Numeric checks of the corpus's posts on models: regression, backpropagation, attention, normalization."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from real_numeric import H, Sides, check, diff, grad, partial, sigmoid, softmax


@check("08_backprop_behnamasadi")
def _behnamasadi(rng: np.random.Generator) -> Sides:
    w, b, a0, y = rng.normal(size=4)
    s = lambda t: float(sigmoid(t))  # noqa: E731  (any differentiable activation; the sigmoid here)
    z = w * a0 + b
    a = s(z)
    cost = lambda w, b, a0: (s(w * a0 + b) - y) ** 2  # noqa: E731
    dC_da, da_dz = 2 * (a - y), diff(s, z)
    dC_dw, dC_db, dC_da0 = (diff(lambda t: cost(t, b, a0), w), diff(lambda t: cost(w, t, a0), b),
                            diff(lambda t: cost(w, b, t), a0))
    return {
        (16, 0): (dC_dw, dC_da * da_dz * diff(lambda t: t * a0 + b, w)),
        (18, 0): (diff(lambda t: (t - y) ** 2, a), 2 * (a - y)),
        (20, 0): (diff(s, z), da_dz),
        (22, 0): (diff(lambda t: t * a0 + b, w), a0),
        (26, 0): (dC_dw, 2 * (a - y) * da_dz * a0),
        (30, 0): (dC_db, dC_da * da_dz * diff(lambda t: w * a0 + t, b)),
        (32, 0): (dC_db, 2 * (a - y) * da_dz * 1),
        (36, 0): (dC_da0, dC_da * da_dz * diff(lambda t: w * t + b, a0)),
        (38, 0): (dC_db, 2 * (a - y) * da_dz * w),
    }


@check("13_linreg_mlcourse")
def _mlcourse(rng: np.random.Generator) -> Sides:
    n, d = 5, 3
    x, a, yv = rng.normal(size=d), rng.normal(size=d), rng.normal(size=d)
    A = rng.normal(size=(d, d)) + 3 * np.eye(d)
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    # A(s) = A0 + s B, a matrix depending on the scalar s (one entry of X in the cheat sheet's last row).
    B = rng.normal(size=(d, d))
    inv = lambda s: np.linalg.inv(A + s * B)  # noqa: E731
    d_inv = (inv(H) - inv(-H)) / (2 * H)
    loss = lambda v: np.sum((y - X @ v) ** 2) / (2 * n)  # noqa: E731
    expanded = lambda v: (y @ y - 2 * y @ X @ v + v @ X.T @ X @ v) / (2 * n)  # noqa: E731
    return {
        (7, 0): (grad(lambda v: v @ a, x), a),
        (8, 0): (grad(lambda v: v @ A @ v, x), (A + A.T) @ x),
        (9, 0): (grad(lambda M: x @ M @ yv, A), np.full((d, d), x @ yv)),
        (10, 0): (d_inv, -inv(0.0) @ B @ inv(0.0)),
        (15, 0): (grad(loss, w), grad(expanded, w)),
        (15, 1): (grad(expanded, w), (-2 * X.T @ y + 2 * X.T @ X @ w) / (2 * n)),
    }


@check("14_linreg_weirme")
def _weirme(rng: np.random.Generator) -> Sides:
    N, p = 6, 3
    X, y, w = rng.normal(size=(N, p)), rng.normal(size=N), rng.normal(size=p)
    stacked = np.array([X[k] @ w - y[k] for k in range(N)])
    return {
        (6, 1): (np.sum((X @ w - y) ** 2) / N, np.sum(stacked ** 2) / N),
        (7, 0): (np.sum(stacked ** 2) / N, np.linalg.norm(X @ w - y) ** 2 / N),
    }


@check("15_ridge_onenoughtone")
def _onenoughtone(rng: np.random.Generator, *, planted: bool = False) -> Sides:
    """Post 15, or (``planted``) its copy 27 whose lines 14 and 18 carry a planted error."""
    n, p = 6, 3
    X, y, b, lam = rng.normal(size=(n, p)), rng.normal(size=n), rng.normal(size=p), float(rng.uniform(0.1, 2))
    J = lambda v: np.sum((y - X @ v) ** 2) + lam * np.sum(v ** 2)  # noqa: E731
    quadratic = (y - X @ b) @ (y - X @ b) + lam * b @ b
    return {
        (10, 0): (J(b), quadratic),
        (14, 0): (quadratic, y @ y + (2 if planted else -2) * y @ X @ b + b @ X.T @ X @ b + lam * b @ b),
        (18, 0): (grad(J, b), -2 * X.T @ y + 2 * X.T @ X @ b + (1 if planted else 2) * lam * b),
    }


@check("16_backprop_compphysics")
def _compphysics(rng: np.random.Generator) -> Sides:
    n, m = 3, 4  # outputs, previous layer
    W, bias, a_prev, t = rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m), rng.normal(size=n)
    act = lambda M: sigmoid(M @ a_prev + bias)  # noqa: E731
    cost = lambda M: 0.5 * np.sum((act(M) - t) ** 2)  # noqa: E731
    a = act(W)
    j, k = int(rng.integers(n)), int(rng.integers(m))
    da = partial(lambda M: act(M)[j], W, (j, k))
    dz = partial(lambda M: (M @ a_prev + bias)[j], W, (j, k))
    return {
        (6, 1): (0.5 * np.sum((a - t) ** 2), 0.5 * np.sum((a - t) ** 2)),
        (10, 0): (partial(cost, W, (j, k)), (a[j] - t[j]) * da),
        (14, 0): (da, diff(lambda u: float(sigmoid(u)), (W @ a_prev + bias)[j]) * dz),
        (14, 1): (diff(lambda u: float(sigmoid(u)), (W @ a_prev + bias)[j]) * dz, a[j] * (1 - a[j]) * a_prev[k]),
    }


def _attention(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Q, K, V, the forward pass and a smooth loss of the output with its gradients by numerics."""
    T, d, e = 3, 2, 2
    Q, K, V = rng.normal(size=(T, d)), rng.normal(size=(T, d)), rng.normal(size=(T, e))
    C = rng.normal(size=(T, e))
    loss_O = lambda out: float(np.sum(C * out) + 0.5 * np.sum(out ** 2))  # noqa: E731
    S = Q @ K.T / np.sqrt(d)
    A = softmax(S, axis=1)
    output = A @ V
    return {"Q": Q, "K": K, "V": V, "S": S, "A": A, "O": output, "d": np.array(d),
            "dO": grad(loss_O, output), "dV": grad(lambda v: loss_O(A @ v), V), "dA": grad(lambda a: loss_O(a @ V), A),
            "dS": grad(lambda s: loss_O(softmax(s, axis=1) @ V), S)}


@check("17_attention_planckeon")
def _planckeon(rng: np.random.Generator) -> Sides:
    g = _attention(rng)
    A, V, dO, S, K, d = g["A"], g["V"], g["dO"], g["S"], g["K"], float(g["d"])
    T, e = V.shape
    eye_T, eye_e = np.eye(T), np.eye(e)
    # dO^{ib}/dV^{mn} as an array [i, b, m, n], by numerics and by the right sides (sums over repeated indices).
    dO_dV = np.stack([np.stack([grad(lambda v, i=i, b=b: (A @ v)[i, b], V) for b in range(e)]) for i in range(T)])
    dO_dA = np.stack([np.stack([grad(lambda a, i=i, b=b: (a @ V)[i, b], A) for b in range(e)]) for i in range(T)])
    dA_dS = np.stack([np.stack([grad(lambda s, i=i, j=j: softmax(s, axis=1)[i, j], S) for j in range(T)])
                      for i in range(T)])
    dS_dQ = np.stack([np.stack([grad(lambda q, i=i, j=j: (q @ K.T)[i, j] / np.sqrt(d), g["Q"]) for j in range(T)])
                      for i in range(T)])
    chain = lambda x_grad_y, dy_dx: np.einsum("i,ij->j", x_grad_y, dy_dx)  # noqa: E731
    y_vec = rng.normal(size=3)
    jacobian = rng.normal(size=(3, 4))
    dq = np.eye(g["Q"].shape[1])
    return {
        (6, 0): (grad(lambda x: float(np.sum(np.sin(jacobian @ x + y_vec))), np.zeros(4)),
                 chain(np.cos(y_vec), jacobian)),
        (14, 0): (dO_dV, np.einsum("ij,jm,bn->ibmn", A, eye_T, eye_e)),
        (14, 1): (np.einsum("ij,jm,bn->ibmn", A, eye_T, eye_e), np.einsum("im,bn->ibmn", A, eye_e)),
        (16, 0): (g["dV"], np.einsum("ib,im,bn->mn", dO, A, eye_e)),
        (16, 1): (np.einsum("ib,im,bn->mn", dO, A, eye_e), np.einsum("im,in->mn", A, dO)),
        (18, 0): (g["dV"], A.T @ dO),
        (20, 0): (dO_dA, np.einsum("im,nb->ibmn", eye_T, V)),
        (22, 0): (g["dA"], np.einsum("mb,nb->mn", dO, V)),
        (24, 0): (g["dA"], dO @ V.T),
        # The definitions restated (the same formulas): A is the row softmax of S, S = Q K^T / sqrt(d).
        (24, 1): (A, softmax(S, axis=1)),
        (26, 0): (dA_dS, np.einsum("im,ij,ijn->ijmn", eye_T, A, eye_T[None, :, :] - A[:, None, :])),
        (28, 0): (g["dS"], A * (g["dA"] - np.sum(A * g["dA"], axis=1, keepdims=True))),
        (30, 0): (S, g["Q"] @ K.T / np.sqrt(d)),
        (32, 0): (dS_dQ, np.einsum("ik,al,ja->ijkl", eye_T, dq, K) / np.sqrt(d)),
        (32, 1): (np.einsum("ik,al,ja->ijkl", eye_T, dq, K) / np.sqrt(d),
                  np.einsum("ik,jl->ijkl", eye_T, K) / np.sqrt(d)),
    }


@check("18_attention_willetts")
def _willetts(rng: np.random.Generator) -> Sides:
    g = _attention(rng)
    A, V, G = g["A"], g["V"], g["dO"]
    T, e = V.shape
    dO_dV = np.stack([np.stack([grad(lambda v, a=a, b=b: (A @ v)[a, b], V) for b in range(e)]) for a in range(T)])
    dV_dV = np.einsum("cj,bp->cbjp", np.eye(T), np.eye(e))
    return {
        (10, 0): (g["dV"], np.einsum("ab,abjp->jp", G, dO_dV)),
        (10, 1): (np.einsum("ab,abjp->jp", G, dO_dV), np.einsum("ab,abjp->jp", G, dO_dV)),
        (18, 0): (dO_dV, np.stack([np.stack([grad(lambda v, a=a, b=b: sum(A[a, c] * v[c, b] for c in range(T)), V)
                                             for b in range(e)]) for a in range(T)])),
        (18, 1): (dO_dV, np.einsum("ac,cbjp->abjp", A, dV_dV)),
    }


def _norm_layer(rng: np.random.Generator, D: int = 5) -> dict[str, object]:
    x, gamma, beta = rng.normal(size=D), rng.normal(size=D), rng.normal(size=D)
    eps = 0.1
    c = rng.normal(size=D)
    loss_y = lambda y: float(c @ y + 0.5 * y @ y)  # noqa: E731
    xhat_of = lambda x, mu, var: (x - mu) / np.sqrt(var + eps)  # noqa: E731
    mu, var = float(x.mean()), float(np.mean((x - x.mean()) ** 2))
    loss = lambda x, mu, var, gamma=gamma, beta=beta: loss_y(gamma * xhat_of(x, mu, var) + beta)  # noqa: E731
    return dict(x=x, gamma=gamma, beta=beta, eps=eps, mu=mu, var=var, xhat=xhat_of(x, mu, var), loss=loss,
                loss_y=loss_y, xhat_of=xhat_of, dy=grad(loss_y, gamma * xhat_of(x, mu, var) + beta))


@check("19_layernorm_yueyiming")
def _yueyiming(rng: np.random.Generator) -> Sides:
    n = _norm_layer(rng)
    x, gamma, beta, eps, mu, var, xhat, dy = (n[k] for k in ("x", "gamma", "beta", "eps", "mu", "var", "xhat", "dy"))
    loss, loss_y, xhat_of = n["loss"], n["loss_y"], n["xhat_of"]
    assert callable(loss) and callable(loss_y) and callable(xhat_of)
    i = int(rng.integers(len(x)))
    dbeta = grad(lambda b: loss(x, mu, var, beta=b), beta)
    dgamma = grad(lambda g: loss(x, mu, var, gamma=g), gamma)
    dxhat = grad(lambda h: loss_y(gamma * h + beta), xhat)
    dvar = diff(lambda v: loss(x, mu, v), var)
    dxhat_dvar = np.array([diff(lambda v, j=j: xhat_of(x, mu, v)[j], var) for j in range(len(x))])
    dxhat_dmu = np.array([diff(lambda m, j=j: xhat_of(x, m, var)[j], mu) for j in range(len(x))])
    dvar_dmu = diff(lambda m: float(np.mean((x - m) ** 2)), mu)
    dmu = diff(lambda m: loss(x, m, float(np.mean((x - m) ** 2))), mu)
    return {
        (16, 0): (dbeta[i], dy[i] * 1),
        (16, 1): (dy[i] * 1, dy[i]),
        (18, 0): (dgamma[i], dy[i] * xhat[i]),
        (18, 1): (dy[i] * xhat[i], dy[i] * xhat[i]),
        (22, 0): (dxhat[i], dy[i] * gamma[i]),
        (26, 0): (dvar, np.sum(dxhat * dxhat_dvar)),
        (26, 1): (np.sum(dxhat * dxhat_dvar), np.sum(dxhat * (x - mu) * (-0.5 * (var + eps) ** -1.5))),
        (30, 0): (np.sum(dxhat * dxhat_dmu), np.sum(dxhat * -1 / np.sqrt(var + eps))),
        (34, 0): (dvar * dvar_dmu, dvar * (-2 / len(x)) * np.sum(x - mu)),
        (34, 1): (dvar * (-2 / len(x)) * np.sum(x - mu), 0.0),
        (38, 0): (dmu, -1 / np.sqrt(var + eps) * np.sum(dxhat)),
    }


@check("20_layernorm_shreyansh")
def _shreyansh(rng: np.random.Generator) -> Sides:
    n = _norm_layer(rng)
    x, gamma, beta, mu, var, xhat, dy = (n[k] for k in ("x", "gamma", "beta", "mu", "var", "xhat", "dy"))
    loss = n["loss"]
    assert callable(loss)
    N = len(x)
    y_of = lambda g, b: g * xhat + b  # noqa: E731
    dy_dg = np.stack([grad(lambda g, k=k: y_of(g, beta)[k], gamma) for k in range(N)])  # [k, j]
    dy_db = np.stack([grad(lambda b, k=k: y_of(gamma, b)[k], beta) for k in range(N)])
    j = int(rng.integers(N))
    dg = grad(lambda g: loss(x, mu, var, gamma=g), gamma)
    db = grad(lambda b: loss(x, mu, var, beta=b), beta)
    return {
        (12, 0): (dy_dg, np.eye(N) * xhat[None, :]),
        (12, 1): (dy_db, np.eye(N)),
        (16, 0): (dg[j], np.sum(dy * dy_dg[:, j])),
        (16, 1): (np.sum(dy * dy_dg[:, j]), dy[j] * dy_dg[j, j]),
        (16, 2): (dy[j] * dy_dg[j, j], dy[j] * xhat[j]),
        (16, 3): (db[j], np.sum(dy * dy_db[:, j])),
        (16, 4): (np.sum(dy * dy_db[:, j]), dy[j] * dy_db[j, j]),
        (16, 5): (dy[j] * dy_db[j, j], dy[j] * 1),
    }


@check("21_batchnorm_hingma")
def _hingma(rng: np.random.Generator) -> Sides:
    N, D, eps = 4, 3, 0.1
    x, gamma, beta, C = rng.normal(size=(N, D)), rng.normal(size=D), rng.normal(size=D), rng.normal(size=(N, D))
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    loss_y = lambda y: float(np.sum(C * y) + 0.5 * np.sum(y ** 2))  # noqa: E731
    dy = grad(loss_y, gamma * xhat + beta)
    i, j = int(rng.integers(N)), int(rng.integers(D))
    dbeta = grad(lambda b: loss_y(gamma * xhat + b), beta)
    dgamma = grad(lambda g: loss_y(g * xhat + beta), gamma)
    dxhat = grad(lambda h: loss_y(gamma * h + beta), xhat)
    dy_dg = np.array([partial(lambda g, r=r: (g * xhat + beta)[r, j], gamma, j) for r in range(N)])
    return {
        (15, 0): (dbeta[j], np.sum(dy[:, j])),
        (15, 1): (np.sum(dy[:, j]), np.sum(dy[:, j])),
        (19, 0): (dgamma[j], np.sum(dy[:, j] * dy_dg)),
        (19, 1): (np.sum(dy[:, j] * dy_dg), np.sum(dy[:, j] * xhat[:, j])),
        (23, 0): (dxhat[i, j], dy[i, j] * partial(lambda h: (gamma * h + beta)[i, j], xhat, (i, j))),
        (23, 1): (dy[i, j] * partial(lambda h: (gamma * h + beta)[i, j], xhat, (i, j)), dy[i, j] * gamma[j]),
        (25, 0): (xhat[i, j], (x[i, j] - mu[j]) * (var[j] + eps) ** -0.5),
        (27, 0): (diff(lambda v: (x[i, j] - mu[j]) / np.sqrt(v + eps), var[j]),
                  (x[i, j] - mu[j]) * (-0.5) * (var[j] + eps) ** -1.5),
    }


@check("22_l2_hypercode")
def _hypercode(rng: np.random.Generator) -> Sides:
    n = 4
    w, lam, c = rng.normal(size=n), float(rng.uniform(0.1, 2)), rng.normal(size=n)
    data = lambda v: float(np.sum(np.sin(c * v)))  # noqa: E731  (any differentiable data loss)
    reg = lambda v: data(v) + lam * np.sum(v ** 2)  # noqa: E731
    i = int(rng.integers(n))
    return {(10, 0): (partial(reg, w, i), partial(data, w, i) + 2 * lam * w[i])}


@check("23_logreg_numerade")
def _numerade(rng: np.random.Generator) -> Sides:
    n, d = 5, 3
    X, y, theta = rng.normal(size=(n, d)), rng.integers(0, 2, size=n).astype(float), rng.normal(size=d)
    g = lambda z: float(sigmoid(z))  # noqa: E731
    loss = lambda t: -np.mean(y * np.log(sigmoid(X @ t)) + (1 - y) * np.log(1 - sigmoid(X @ t)))  # noqa: E731
    i, j, z0 = int(rng.integers(n)), int(rng.integers(d)), float(rng.normal())
    z = float(theta @ X[i])
    h = sigmoid(X @ theta)
    return {
        (9, 2): (diff(g, z0), g(z0) * (1 - g(z0))),
        (13, 0): (partial(lambda t: g(t @ X[i]), theta, j), g(z) * (1 - g(z)) * X[i, j]),
        (15, 0): (partial(lambda t: np.log(g(t @ X[i])), theta, j), (1 - g(z)) * X[i, j]),
        (15, 1): (partial(lambda t: np.log(1 - g(t @ X[i])), theta, j), -g(z) * X[i, j]),
        (19, 0): (partial(loss, theta, j), np.mean((h - y) * X[:, j])),
    }


@check("27_ridge_planted")
def _onenoughtone_planted(rng: np.random.Generator) -> Sides:
    return _onenoughtone(rng, planted=True)


@check("29_logreg_underset_mse477207")
def _underset(rng: np.random.Generator) -> Sides:
    m, d = 5, 3
    X, y, theta = rng.normal(size=(m, d)), rng.integers(0, 2, size=m).astype(float), rng.normal(size=d)
    j = int(rng.integers(d))

    def h(t: np.ndarray, i: int) -> float:
        return float(sigmoid(t @ X[i]))

    def by_j(f: Callable[[np.ndarray], float]) -> float:  # ∂/∂θ_j at θ, by central differences
        return partial(f, theta, j)

    def cost(t: np.ndarray) -> float:
        return float(-np.mean([y[i] * np.log(h(t, i)) + (1 - y[i]) * np.log(1 - h(t, i)) for i in range(m)]))

    # Each link's right side, term by term, as written.
    linearity = -np.mean([y[i] * by_j(lambda t, i=i: np.log(h(t, i)))
                          + (1 - y[i]) * by_j(lambda t, i=i: np.log(1 - h(t, i))) for i in range(m)])
    chain = -np.mean([y[i] * by_j(lambda t, i=i: h(t, i)) / h(theta, i)
                      + (1 - y[i]) * by_j(lambda t, i=i: 1 - h(t, i)) / (1 - h(theta, i)) for i in range(m)])
    substituted = -np.mean([y[i] * by_j(lambda t, i=i: float(sigmoid(t @ X[i]))) / h(theta, i)
                            + (1 - y[i]) * by_j(lambda t, i=i: 1 - float(sigmoid(t @ X[i]))) / (1 - h(theta, i))
                            for i in range(m)])
    dJ = by_j(cost)
    return {(6, 0): (dJ, by_j(cost)), (6, 1): (dJ, linearity), (7, 0): (linearity, chain),
            (8, 0): (chain, substituted)}
