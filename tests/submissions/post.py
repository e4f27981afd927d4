# The study post's code, transcribed as the post gives it (comments included): the review's
# reference submission. It passes every check, with two robustness warnings and a note on its
# step 7 comment.
import numpy as np  # numpy import

X = np.array([0, 0, 1, 1, 0, 1, 0, 1]).reshape(2, 4)  # 입력
Y = np.array([0, 1, 1, 0]).reshape(1, 4)  # 정답


# 가중치 초기화 함수
def init_parameters(num_hidden_units=2):
    W1 = np.random.randn(2, num_hidden_units)  # 첫번째 레이어 가중치
    B1 = np.zeros((num_hidden_units, 1))  # 첫번째 레이어 바이어스
    W2 = np.random.randn(num_hidden_units, 1)  # 두번째 레이어 가중치
    B2 = np.zeros((1, 1))  # 두번째 레이어의 바이어스
    return W1, B1, W2, B2  # 가중치 파라미터 리턴


# Affine transform
def affine(W, X, B):
    return np.dot(W.T, X) + B


# sigmoid function
def sigmoid(z):
    temp = np.exp(-z)
    return 1 / (1 + temp)


def binary_cross_entropy(Y, YHat):
    N = Y.shape[1]  # 총 샘플의 수
    loss = -(1 / N) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat))
    return loss


def forward_loss(X, Y, _params):
    W1, B1, W2, B2 = _params
    # 첫번째 레이어연산
    Z1 = affine(W1, X, B1)  # 1 affine 함수
    H = sigmoid(Z1)  # 2) sigmoid 함수
    # 두번째 레이어 연산
    Z2 = affine(W2, H, B2)  # 3) affine 함수
    YHat = sigmoid(Z2)  # 4) sigmoid 함수
    # 손실함수 계산
    loss = binary_cross_entropy(Y, YHat)  # 5) 이진크로스 엔트로피 함수
    return Z1, H, Z2, YHat, loss


def get_gradients(X, Y, _params):
    W1, B1, W2, B2 = _params
    m = X.shape[1]  # 샘플의 수
    Z1, H, Z2, YHat, loss = forward_loss(X, Y, _params)
    # 1) dLoss/dZ2 구현. 손실함수가 각 샘플 손실의 평균으로 계산되기 때문에 그대로 구현
    dLdZ2 = (1 / m) * (YHat - Y)
    # 2) dLoss/dW2의 구현
    dLdW2 = np.dot(H, dLdZ2.T)
    # 3) dLoss/dB2의 구현 - 샘플마다 gradient가 있음. 따라서 합쳐줘야 함.
    dLdB2 = np.sum(dLdZ2, axis=1, keepdims=True)
    # 4) dLoss/dH의 구현
    dLdH = np.dot(W2, dLdZ2)
    # 5) dLoss/dZ1의 구현
    dLdZ1 = dLdH * H * (1 - H)
    # 6) dLoss/dW1의 구현
    dLdW1 = np.dot(X, dLdZ1.T)
    # 7) dLoss/dB2의 구현
    dLdB1 = np.sum(dLdZ1, axis=1, keepdims=True)
    return [dLdW1, dLdB1, dLdW2, dLdB2], loss


def optimize(X, Y, _params, learning_rate=0.01, iteration=200000):
    params = [np.copy(param) for param in _params]
    loss_trace = []
    for epoch in range(iteration):
        dparams, loss = get_gradients(X, Y, params)
        for i in range(len(params)):
            params[i] += -learning_rate * dparams[i]
        if epoch % 100 == 0:
            loss_trace.append(loss)
    _, _, _, Y_hat_predict, _ = forward_loss(X, Y, params)
    return params, loss_trace, Y_hat_predict


np.random.seed(3)
new_params, loss_trace, Y_hat_predict = optimize(X, Y, init_parameters(2))
print(loss_trace[-1])
