"""Write the tutorial notebooks, in English and Korean, and run them to store their outputs.

    python docs/notebooks/make_notebooks.py            # write and run all of them
    python docs/notebooks/make_notebooks.py 02         # only those whose name starts so

Each notebook is written here once: its code cells are shared by the two languages, so the
English and Korean notebooks run the same code and show the same numbers; only the prose
differs. The notebooks (``NN_name.ipynb`` and ``NN_name.ko.ipynb``) are what readers open, on
the repository's pages, on the documentation site and in Colab; ``tests/test_notebooks.py``
runs them and checks that their stored outputs are the ones the code produces. Run this
script after changing a notebook here, or when xornet's output changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

#: The repository the Colab links and the install cell point at. A placeholder until the
#: project has a public address: mkdocs.yml's ``repo_url`` holds the same one (a test checks).
REPOSITORY = "https://github.com/OWNER/xornet"

INSTALL = f"""\
# On Colab (or wherever xornet is not installed yet), install it from the repository.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("xornet") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "xornet[all,sklearn] @ git+{REPOSITORY}"])
%matplotlib inline"""

BADGE = (
    "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    f"({REPOSITORY.replace('https://github.com', 'https://colab.research.google.com/github')}"
    "/blob/main/docs/notebooks/{name})"
)


def md(en: str, ko: str) -> tuple[str, str, str]:
    return ("markdown", en, ko)


def code(source: str) -> tuple[str, str, str]:
    return ("code", source, source)


# --------------------------------------------------------------------------- 1. the post

POST = [
    md(
        """# 1. The post, runnable

The study post trains a network with 2 inputs, 2 hidden units and 1 output to learn XOR, in
NumPy, with seven functions: `init_parameters`, `affine`, `sigmoid`, `binary_cross_entropy`,
`forward_loss`, `get_gradients` and `optimize`. `xornet.tutorial` has them with the post's
names, arguments and layout (**features in rows, samples in columns**), so the post's code
runs as written. This notebook goes through them in order and prints every array.""",
        """# 1. 글의 코드를 그대로 실행하기

글은 입력 2개, 은닉 유닛 2개, 출력 1개인 신경망이 XOR을 배우도록 NumPy로 일곱 함수를 씁니다:
`init_parameters`, `affine`, `sigmoid`, `binary_cross_entropy`, `forward_loss`,
`get_gradients`, `optimize`. `xornet.tutorial`에는 이 함수들이 글과 같은 이름, 같은 인자, 같은
배열 모양(**특징이 행, 샘플이 열**)으로 들어 있어서 글의 코드가 그대로 돌아갑니다. 이 노트북은
함수를 순서대로 따라가며 모든 배열을 출력합니다.""",
    ),
    code(INSTALL),
    code(
        """import numpy as np

import xornet
from xornet.tutorial import (
    X,
    Y,
    affine,
    binary_cross_entropy,
    forward_loss,
    get_gradients,
    init_parameters,
    optimize,
    sigmoid,
)

print("X, shape", X.shape)
print(X)
print("Y, shape", Y.shape)
print(Y)"""
    ),
    md(
        """## init_parameters: the start

The post draws the weights from NumPy's global random state, so `np.random.seed(3)` picks
the start. The biases start at zero.""",
        """## init_parameters: 시작점

글은 NumPy의 전역 난수 상태에서 가중치를 뽑으므로 `np.random.seed(3)`이 시작점을 정합니다.
바이어스는 0에서 시작합니다.""",
    ),
    code(
        """np.random.seed(3)
params = init_parameters(2)
W1, B1, W2, B2 = params
for name, value in zip(["W1", "B1", "W2", "B2"], params, strict=True):
    print(name, value.shape)
    print(value.round(4))"""
    ),
    md(
        """## affine and sigmoid: the hidden layer

`affine(W, X, B)` is `W.T @ X + B`: one column per sample. The sigmoid squashes each number
into (0, 1).""",
        """## affine과 sigmoid: 은닉층

`affine(W, X, B)`는 `W.T @ X + B`이고, 샘플마다 열이 하나입니다. 시그모이드는 각 숫자를
(0, 1) 사이로 누릅니다.""",
    ),
    code(
        """Z1 = affine(W1, X, B1)
H = sigmoid(Z1)
print("Z1 = W1.T @ X + B1")
print(Z1.round(4))
print("H = sigmoid(Z1)")
print(H.round(4))"""
    ),
    md(
        """## forward_loss: the output and the loss

The output `YHat` is the probability that each sample is 1; the loss is the mean binary
cross-entropy.""",
        """## forward_loss: 출력과 손실

출력 `YHat`은 각 샘플이 1일 확률이고, 손실은 이진 교차 엔트로피의 평균입니다.""",
    ),
    code(
        """Z1, H, Z2, YHat, loss = forward_loss(X, Y, params)
print("YHat", YHat.round(4))
print("loss", round(loss, 6))
print("the same loss from binary_cross_entropy:", round(binary_cross_entropy(Y, YHat), 6))"""
    ),
    md(
        """## get_gradients: the seven steps of backpropagation

`get_gradients` returns `dW1, dB1, dW2, dB2`. Below it, `explain_step` shows every array of
the same step (in xornet's rows-are-samples layout), named and explained in the post's order,
with the update the step makes. Choose 한국어 to read it in Korean.""",
        """## get_gradients: 역전파 일곱 단계

`get_gradients`는 `dW1, dB1, dW2, dB2`를 돌려줍니다. 그 아래 `explain_step`은 같은 단계의 모든
배열을 (xornet의 샘플이 행인 모양으로) 글의 순서대로 이름과 설명을 붙여 보여 주고, 그 단계의
업데이트도 보여 줍니다. 한국어를 고르면 설명이 한국어로 바뀝니다.""",
    ),
    code(
        """grads, loss = get_gradients(X, Y, params)
for name, value in zip(["dW1", "dB1", "dW2", "dB2"], grads, strict=True):
    print(name, value.round(4).tolist())"""
    ),
    code(
        """from xornet.explain import explain_step

data = xornet.xor()                      # the same four samples, one per row
start = xornet.post_initial_params(3)    # the weights np.random.seed(3) gives
explain_step(start, data.X, data.y, learning_rate=0.01)"""
    ),
    md(
        """## optimize: 200,000 steps

The post trains with plain gradient descent at learning rate 0.01 for 200,000 steps and
records the loss every 100 steps. xornet runs the same loop compiled, in a fraction of a
second.""",
        """## optimize: 200,000번

글은 학습률 0.01의 경사하강법으로 200,000번 학습하고 100번마다 손실을 기록합니다. xornet은
같은 반복을 컴파일해서 1초도 걸리지 않습니다.""",
    ),
    code(
        """np.random.seed(3)
trained, loss_trace, Y_hat_predict = optimize(X, Y, init_parameters(2))
print(len(loss_trace), "losses; the last:", round(loss_trace[-1], 5))
print("Y_hat_predict", Y_hat_predict.round(3))"""
    ),
    md(
        """## The seed that stalls and the seed that solves

The post's setting does not always learn. `xornet.train` with the `post` preset runs the
post's run from `np.random.seed(s)`'s weights and says what happened: from seed 2, two
outputs sit at 0.5 and the loss stops near ln(2)/2 = 0.347, the classic XOR plateau; seed 3
solves it.""",
        """## 멈추는 시드와 푸는 시드

글의 설정은 항상 학습되지는 않습니다. `post` 프리셋의 `xornet.train`은 `np.random.seed(s)`의
가중치에서 글의 학습을 그대로 돌리고 결과를 말해 줍니다. 시드 2에서는 두 출력이 0.5에 머물고
손실이 ln(2)/2 = 0.347 근처에서 멈춥니다. XOR의 전형적인 정체 구간입니다. 시드 3은 풉니다.""",
    ),
    code(
        """stalled = xornet.train(data.X, data.y, xornet.PRESETS["post"], rng=2)
stalled"""
    ),
    code(
        """solved = xornet.train(data.X, data.y, xornet.PRESETS["post"], rng=3)
solved"""
    ),
    md(
        """## Exercises

Each exercise has its answer filled in, followed by a check. Change the answer and run the
check again.

**1.** A network that has learned nothing outputs 0.5 for every sample. What is its loss?""",
        """## 연습 문제

답이 채워져 있고, 그 아래 셀이 답을 확인합니다. 답을 바꿔서 확인 셀을 다시 실행해 보세요.

**1.** 아무것도 배우지 못한 신경망은 모든 샘플에 0.5를 냅니다. 손실은 얼마일까요?""",
    ),
    code("""answer_1 = binary_cross_entropy(Y, np.full((1, 4), 0.5))"""),
    code(
        """assert np.isclose(answer_1, np.log(2)), "hint: -log(0.5) for every sample"
print("correct:", round(answer_1, 6), "= ln 2")"""
    ),
    md(
        """**2.** Which samples (0 to 3) does the stalled run leave at 0.5? Read it from
`stalled.probabilities`.""",
        """**2.** 멈춘 학습은 어느 샘플(0부터 3)을 0.5에 남겨 둘까요? `stalled.probabilities`에서
읽어 보세요.""",
    ),
    code("""answer_2 = [i for i, p in enumerate(stalled.probabilities) if abs(p - 0.5) < 0.15]"""),
    code(
        """assert tuple(answer_2) == stalled.outcome.near_half
print("correct: samples", answer_2, "sit at", stalled.probabilities[answer_2].round(3))"""
    ),
    md(
        """**3.** Backward step 1 is `dZ2 = (YHat - Y) / n` and step 2 is `dW2 = H @ dZ2.T` in
the post's layout. Compute `dW2` for the seed-3 start yourself and compare it with
`get_gradients`.""",
        """**3.** 역전파 1단계는 `dZ2 = (YHat - Y) / n`, 2단계는 글의 모양으로 `dW2 = H @ dZ2.T`
입니다. 시드 3의 시작점에서 `dW2`를 직접 계산해 `get_gradients`와 비교해 보세요.""",
    ),
    code(
        """Z1, H, Z2, YHat, loss = forward_loss(X, Y, params)
dZ2 = (YHat - Y) / X.shape[1]
answer_3 = H @ dZ2.T"""
    ),
    code(
        """np.testing.assert_allclose(answer_3, grads[2], rtol=1e-12)
print("correct: dW2 =", answer_3.round(4).tolist())"""
    ),
]

# --------------------------------------------------------------------------- 2. why it stalls

STALLS = [
    md(
        """# 2. Why the post's network sometimes does not learn

From some starts the post's 2-2-1 network solves XOR, from others it stalls. This notebook
counts how often, looks at where the hidden layer puts the four samples, watches the
plateau, and sweeps the number of hidden units.""",
        """# 2. 글의 신경망은 왜 가끔 학습하지 못할까

글의 2-2-1 신경망은 어떤 시작점에서는 XOR을 풀고, 어떤 시작점에서는 멈춥니다. 이 노트북은
얼마나 자주 그런지 세고, 은닉층이 네 샘플을 어디에 놓는지 보고, 정체 구간을 들여다본 다음
은닉 유닛 수를 바꿔 가며 비교합니다.""",
    ),
    code(INSTALL),
    code(
        """import numpy as np

import xornet
from xornet.plotting import plot_hidden_space, plot_loss, plot_starts
from xornet.sweep import sweep

data = xornet.xor()
post = xornet.PRESETS["post"]   # 2 hidden units, lr 0.01, 200,000 steps, the post's starts"""
    ),
    md(
        """## Starts

`train_many` trains one network per seed at once, each exactly as `train(..., rng=seed)`
would. 100 of the post's starts (a network stops once every output is on the right side of
0.5):""",
        """## 시작점

`train_many`는 시드마다 신경망 하나를 한꺼번에 학습하고, 각각은 `train(..., rng=seed)`와
똑같습니다. 글의 시작점 100개 (모든 출력이 0.5의 올바른 쪽에 오면 멈춥니다):""",
    ),
    code(
        """many = xornet.train_many(data.X, data.y, post.replace(stop_when_correct=True), seeds=100)
many"""
    ),
    md(
        """The decision boundaries of the first eight starts: the white band is where the output
is near 0.5.""",
        """처음 여덟 시작점의 결정 경계입니다. 흰 띠는 출력이 0.5 근처인 곳입니다.""",
    ),
    code("""plot_starts(data.X, data.y, post, seeds=range(8))"""),
    md(
        """## Hidden space

The hidden layer moves each sample to a point `(h1, h2)`; the output unit then draws one
straight line. From seed 3 the hidden layer sends (0,0) and (1,1) to the same side, and the
line separates them from (0,1) and (1,0). From seed 2 it does not: two samples land where
no line can split them right.""",
        """## 은닉 공간

은닉층은 각 샘플을 점 `(h1, h2)`로 옮기고, 출력 유닛은 직선 하나를 긋습니다. 시드 3에서는
은닉층이 (0,0)과 (1,1)을 같은 쪽으로 보내고, 직선이 그 둘을 (0,1), (1,0)과 나눕니다. 시드
2에서는 그렇지 않습니다. 두 샘플이 어떤 직선으로도 제대로 나눌 수 없는 곳에 놓입니다.""",
    ),
    code(
        """solved = xornet.train(data.X, data.y, post, rng=3)
stalled = xornet.train(data.X, data.y, post, rng=2)
plot_hidden_space(solved.params, data.X, data.y)"""
    ),
    code("""plot_hidden_space(stalled.params, data.X, data.y)"""),
    md(
        """## The plateau

The stalled run's loss falls, then stays flat near ln(2)/2: two samples cost ln 2 each at
an output of 0.5, the other two almost nothing. The gradient there is nearly zero, so
gradient descent barely moves.""",
        """## 정체 구간

멈춘 학습의 손실은 떨어지다가 ln(2)/2 근처에서 평평해집니다. 출력이 0.5인 두 샘플이 각각
ln 2를, 나머지 둘은 거의 0을 내기 때문입니다. 거기서는 기울기가 거의 0이라서 경사하강법이
거의 움직이지 않습니다.""",
    ),
    code(
        """print("final loss", round(stalled.final_loss, 5), " ln(2)/2 =", round(np.log(2) / 2, 5))
plot_loss(stalled.loss_history, stalled.history_steps, final_step=stalled.steps,
          final_loss=stalled.final_loss, stop_reason=stalled.stop_reason)"""
    ),
    md(
        """## More hidden units

A sweep trains every seed for each setting and reports the success rate with a Wilson 95%
interval. With 3 or 4 hidden units, almost every start solves XOR.""",
        """## 은닉 유닛 늘리기

스윕은 설정마다 모든 시드를 학습하고 성공률과 윌슨 95% 신뢰 구간을 보여 줍니다. 은닉 유닛이
3개나 4개이면 거의 모든 시작점이 XOR을 풉니다.""",
    ),
    code(
        """table = sweep(data.X, data.y, post.replace(stop_when_correct=True),
              {"hidden": [2, 3, 4]}, seeds=range(100))
table"""
    ),
    code(
        """table.to_frame()[["hidden", "success_rate", "ci_low", "ci_high", "plateau_two_half"]]"""
    ),
    md(
        """## Exercises

**1.** What is the first seed (from 0) whose start solves XOR? Read it from `many`.""",
        """## 연습 문제

**1.** XOR을 푸는 첫 번째 시드(0부터)는 무엇일까요? `many`에서 읽어 보세요.""",
    ),
    code("""answer_1 = int(np.flatnonzero(many.outcome == "solved")[0])"""),
    code(
        """assert xornet.train(data.X, data.y, post, rng=answer_1).outcome.kind == "solved"
assert all(xornet.train(data.X, data.y, post, rng=s).outcome.kind != "solved"
           for s in range(answer_1))
print("correct: seed", answer_1)"""
    ),
    md(
        """**2.** How many of the 100 two-hidden-unit networks ended in the classic state, with
exactly two outputs within 0.15 of 0.5? Count it from `many.probabilities`, shape (100, 4).""",
        """**2.** 은닉 유닛 2개인 신경망 100개 중 몇 개가 전형적인 상태, 곧 정확히 두 출력이 0.5에서
0.15 안에 있는 상태로 끝났을까요? `many.probabilities` (모양 (100, 4))에서 세어 보세요.""",
    ),
    code(
        """near_half = np.abs(many.probabilities - 0.5) < 0.15
answer_2 = int(np.sum((near_half.sum(axis=1) == 2) & (many.outcome == "plateau")))"""
    ),
    code(
        """assert answer_2 == table[0].outcomes["plateau_two_half"]
print("correct:", answer_2, "of 100")"""
    ),
]

# --------------------------------------------------------------------------- 3. the library

LIBRARY = [
    md(
        """# 3. From the post to a library

The same network, grown into a library: other optimizers, other data sets, more than two
classes, and a scikit-learn estimator. Inside xornet, **rows are samples**: `X` is
`(n, d)`, `W1` is `(d, h)` and `Z1 = X @ W1 + b1`.""",
        """# 3. 글에서 라이브러리로

같은 신경망을 라이브러리로 키웁니다. 다른 최적화 방법, 다른 데이터, 세 개 이상의 클래스,
scikit-learn 추정기. xornet 안에서는 **샘플이 행**입니다. `X`는 `(n, d)`, `W1`은 `(d, h)`,
`Z1 = X @ W1 + b1`입니다.""",
    ),
    code(INSTALL),
    code(
        """import numpy as np

import xornet
from xornet.plotting import plot_boundary

data = xornet.xor()
config = xornet.TrainConfig(hidden=2, optimizer="adam", learning_rate=0.05, steps=5000)
result = xornet.train(data.X, data.y, config, rng=0)   # rng: None, an int or a Generator
result"""
    ),
    md(
        """## Momentum and Adam

The post's 2-2-1 network from the same 100 random starts, with plain gradient descent,
momentum and Adam: how many solve XOR within 5,000 steps, and how fast.""",
        """## 모멘텀과 Adam

글의 2-2-1 신경망을 같은 무작위 시작점 100개에서 경사하강법, 모멘텀, Adam으로 학습합니다.
5,000번 안에 몇 개가 XOR을 풀고, 얼마나 빨리 푸는지 봅니다.""",
    ),
    code(
        """settings = {
    "gradient descent, lr 1": {"optimizer": "gd", "learning_rate": 1.0},
    "momentum 0.9, lr 0.1": {"optimizer": "momentum", "learning_rate": 0.1, "momentum": 0.9},
    "Adam, lr 0.05": {"optimizer": "adam", "learning_rate": 0.05},
}
for name, setting in settings.items():
    runs = xornet.train_many(data.X, data.y, xornet.TrainConfig(hidden=2, steps=5000,
                                                                stop_when_correct=True,
                                                                **setting), seeds=100)
    solved = runs.outcome == "solved"
    median = np.median(runs.solve_step[solved])
    print(f"{name:24} solved {solved.mean():.0%}, median steps {median:.0f}")"""
    ),
    md(
        """## Other data sets

Moons, circles, spirals, n-bit parity and your own CSV file (`xornet.load_csv`). Labels
`0 .. K-1` with `K >= 3` give a softmax output.""",
        """## 다른 데이터

초승달(moons), 원(circles), 나선(spiral), n비트 패리티, 직접 만든 CSV 파일
(`xornet.load_csv`). 레이블이 `0 .. K-1`이고 `K >= 3`이면 출력층이 소프트맥스가 됩니다.""",
    ),
    code(
        """moons = xornet.moons(n_samples=200, noise=0.15, rng=0)
fit = xornet.train(moons.X, moons.y, xornet.TrainConfig(hidden=8, optimizer="adam",
                                                        learning_rate=0.05, steps=2000, tol=None),
                   rng=0)
print(f"moons: accuracy {fit.accuracy:.1%}, {fit.outcome.summary}")
plot_boundary(fit.params, moons.X, moons.y)"""
    ),
    code(
        """spiral = xornet.make_dataset("spiral3", n_samples=150, noise=0.05, rng=0)
fit3 = xornet.train(spiral.X, spiral.y, xornet.TrainConfig(hidden=16, optimizer="adam",
                                                           learning_rate=0.05, steps=2000,
                                                           tol=None), rng=0)
print("probabilities", fit3.probabilities.shape, f"accuracy {fit3.accuracy:.1%}")
plot_boundary(fit3.params, spiral.X, spiral.y)"""
    ),
    md(
        """## The scikit-learn estimator

`XornetClassifier` works wherever scikit-learn takes a classifier: a pipeline,
cross-validation, a grid search.""",
        """## scikit-learn 추정기

`XornetClassifier`는 scikit-learn이 분류기를 받는 곳 어디서나 쓸 수 있습니다. 파이프라인,
교차 검증, 그리드 탐색.""",
    ),
    code(
        """from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from xornet.sklearn import XornetClassifier

clf = make_pipeline(StandardScaler(), XornetClassifier(hidden=8, optimizer="adam",
                                                       learning_rate=0.05, max_iter=300,
                                                       tol=None, random_state=0))
scores = cross_val_score(clf, moons.X, moons.y, cv=5)
print("accuracy on each fold", scores.round(3))"""
    ),
    md(
        """## Exercises

**1.** The AND gate is linearly separable. Train it with a single hidden unit
(`xornet.gate("and")`) and reach accuracy 1.""",
        """## 연습 문제

**1.** AND 게이트는 선형 분리가 됩니다. 은닉 유닛 하나로 (`xornet.gate("and")`) 정확도 1에
도달해 보세요.""",
    ),
    code(
        """gate = xornet.gate("and")
answer_1 = xornet.train(gate.X, gate.y, xornet.TrainConfig(hidden=1), rng=0)"""
    ),
    code(
        """assert answer_1.params.n_hidden == 1
assert answer_1.accuracy == 1.0
print("correct:", answer_1.outcome.summary)"""
    ),
    md(
        """**2.** Use `GridSearchCV` to choose between 2 and 16 hidden units for the moons with
3-fold cross-validation. Which one wins?""",
        """**2.** `GridSearchCV`로 moons 데이터에 은닉 유닛 2개와 16개 중 무엇이 나은지 3겹 교차
검증으로 고르세요. 어느 쪽이 이길까요?""",
    ),
    code(
        """from sklearn.model_selection import GridSearchCV

search = GridSearchCV(XornetClassifier(optimizer="adam", learning_rate=0.05, max_iter=300,
                                       tol=None, random_state=0),
                      {"hidden": [2, 16]}, cv=3)
answer_2 = search.fit(moons.X, moons.y).best_params_["hidden"]"""
    ),
    code(
        """scores = search.cv_results_["mean_test_score"]
assert answer_2 == [2, 16][int(np.argmax(scores))]
print("correct:", answer_2, "hidden units; mean accuracy", scores.round(3))"""
    ),
]

# --------------------------------------------------------------------------- 4. 1986

EXPERIMENTS = [
    md(
        """# 4. The 1986 experiments

Rumelhart, Hinton and Williams trained XOR in 1986 with a different recipe from the post's:
the total squared error instead of cross-entropy, small uniform start weights, momentum, and
a network that also wires the inputs straight to the output. xornet runs each of those
settings; `docs/experiments.md` has the full study with 1,000 starts each.""",
        """# 4. 1986년의 실험

Rumelhart, Hinton, Williams는 1986년에 글과 다른 방법으로 XOR을 학습했습니다. 교차 엔트로피
대신 제곱 오차의 합, 작은 균등분포 초기 가중치, 모멘텀, 그리고 입력을 출력에 바로 잇는
신경망. xornet은 이 설정들을 모두 돌릴 수 있고, `docs/experiments.md`에 시작점 1,000개씩의
전체 연구가 있습니다.""",
    ),
    code(INSTALL),
    code(
        """import numpy as np

import xornet
from xornet.sweep import sweep

data = xornet.xor()
classic = xornet.TrainConfig(hidden=2, init="uniform", init_scale=0.5, loss="sse",
                             optimizer="momentum", momentum=0.9, learning_rate=0.5,
                             tol=0.04, steps=10000)
xornet.train(data.X, data.y, classic, rng=1)"""
    ),
    md(
        """## How often the 1986 setup learns

200 starts of the 2-2-1 network with the 1986 settings, and the same with one hidden unit,
with and without the shortcut weights (`Z2 = H @ W2 + X @ W3 + b2`, seven parameters).""",
        """## 1986년 설정은 얼마나 자주 배울까

1986년 설정의 2-2-1 신경망 시작점 200개, 그리고 은닉 유닛 하나인 신경망을 지름길 가중치
(`Z2 = H @ W2 + X @ W3 + b2`, 파라미터 7개)가 있을 때와 없을 때로 비교합니다.""",
    ),
    code("""sweep(data.X, data.y, classic, {"hidden": [1, 2]}, seeds=range(200))"""),
    code(
        """with_shortcut = classic.replace(shortcut=True)   # Z2 = H @ W2 + X @ W3 + b2
sweep(data.X, data.y, with_shortcut, {"hidden": [1]}, seeds=range(200))"""
    ),
    md(
        """## One pattern at a time

With `batch_size=1` and no shuffling, the weights change after each of the four patterns in
a fixed order, as in the paper's per-pattern runs; a step is then one pattern.""",
        """## 한 번에 패턴 하나씩

`batch_size=1`에 섞지 않으면(`shuffle=False`) 네 패턴을 정해진 순서로 하나씩 볼 때마다
가중치가 바뀝니다. 논문의 패턴별 학습과 같고, 이때 한 단계는 패턴 하나입니다.""",
    ),
    code(
        """per_pattern = classic.replace(batch_size=1, shuffle=False, steps=40000)
sweep(data.X, data.y, per_pattern, {"learning_rate": [0.25, 0.5]}, seeds=range(200))"""
    ),
    md(
        """## Parity

XOR is 2-bit parity. 3-bit parity needs more hidden units:""",
        """## 패리티

XOR은 2비트 패리티입니다. 3비트 패리티에는 은닉 유닛이 더 필요합니다.""",
    ),
    code(
        """parity = xornet.parity(3)
sweep(parity.X, parity.y, classic.replace(steps=20000), {"hidden": [2, 3, 4]},
      seeds=range(100))"""
    ),
    md(
        """## Exercises

**1.** The paper stopped once every output was within 0.4 of its target, the "40-20-40"
rule: `stop_when_correct=True` with `margin=0.1` (every output beyond 0.6 or below 0.4).
Train the classic setup from seed 1 with that rule instead of the loss target.""",
        """## 연습 문제

**1.** 논문은 모든 출력이 목표에서 0.4 안에 들어오면 멈췄습니다("40-20-40" 규칙).
`stop_when_correct=True`에 `margin=0.1`이면 됩니다(모든 출력이 0.6보다 크거나 0.4보다 작음).
시드 1에서 손실 목표 대신 이 규칙으로 학습해 보세요.""",
    ),
    code(
        """answer_1 = xornet.train(data.X, data.y,
                        classic.replace(tol=None, stop_when_correct=True, margin=0.1), rng=1)"""
    ),
    code(
        """p = answer_1.probabilities
assert answer_1.stop_reason == "all_correct"
assert np.all(np.where(data.y == 1, p > 0.6, p < 0.4))
print("correct: stopped at step", answer_1.steps, "with outputs", p.round(3))"""
    ),
    md(
        """**2.** How many numbers does the 2-1-1 shortcut network learn? Count them in its
parameters.""",
        """**2.** 2-1-1 지름길 신경망은 숫자를 몇 개 배울까요? 파라미터에서 세어 보세요.""",
    ),
    code(
        """shortcut = xornet.train(data.X, data.y, classic.replace(hidden=1, shortcut=True), rng=0)
answer_2 = sum(array.size for array in shortcut.params)"""
    ),
    code(
        """assert answer_2 == 7
print("correct:", answer_2, "parameters:", ", ".join(shortcut.params.names))"""
    ),
]

NOTEBOOKS = {
    "01_the_post": POST,
    "02_why_it_stalls": STALLS,
    "03_post_to_library": LIBRARY,
    "04_1986_experiments": EXPERIMENTS,
}


def notebook(name: str, cells: list[tuple[str, str, str]], lang: str) -> nbformat.NotebookNode:
    """One notebook in one language, with the Colab badge under its title."""
    file = f"{name}.ko.ipynb" if lang == "ko" else f"{name}.ipynb"
    nb = nbformat.v4.new_notebook()
    for i, (kind, en, ko) in enumerate(cells):
        text = ko if lang == "ko" else en
        if kind == "markdown":
            if i == 0:
                title, _, rest = text.partition("\n\n")
                text = f"{title}\n\n{BADGE.format(name=file)}\n\n{rest}"
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(text))
    for j, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{j:02d}"  # stable ids: a rewrite changes only what changed
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def run(nb: nbformat.NotebookNode, timeout: int = 120) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel, in this folder; its outputs are kept in ``nb``."""
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()  # fmt: skip
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def main(prefixes: list[str]) -> None:
    for name, cells in NOTEBOOKS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        for lang in ("en", "ko"):
            nb = run(notebook(name, cells, lang))
            path = HERE / (f"{name}.ko.ipynb" if lang == "ko" else f"{name}.ipynb")
            nbformat.write(nb, path)
            print("wrote", path.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main(sys.argv[1:])
