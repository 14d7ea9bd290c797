from derive.model import Size, Vector, Matrix, Labels, tanh, softmax, cross_entropy, norm
c, d, p = Size("c"), Size("d"), Size("p")
x, W, V = Vector("x", p), Matrix("W", d, p), Matrix("V", c, d)
y = Labels("y", c, soft=True)
h = tanh(W @ x)
yhat = softmax(V @ h)
L = cross_entropy(y, yhat)
R = norm(x)
