#!/usr/bin/env python3
"""The large job in PyTorch with dropout and an L2 penalty on the kernels, in one process: the model,
data and loop of ../shared/anchors/big_torch.py (64 -> 256 relu -> 256 relu -> 1 sigmoid, BCELoss,
Adam(1e-3, eps 1e-7), Glorot-uniform weights and zero biases, batch 256 reshuffled each epoch, 3 epochs,
pandas.read_csv as float32) with an nn.Dropout(RATE) after each hidden layer and Adam's weight_decay on
the weights only.

    fit_torch_large.py --csv FILE [--threads 1] [--dropout 0.3] [--l2 0.001]

`--l2 V` is Keras's l2(V) kernel regularizer, a penalty V * sum(w^2) whose gradient 2 V w Adam's
`weight_decay` adds to the gradient: weight_decay = 2 V on the Linear layers' weights, none on their
biases (Keras's kernel_regularizer leaves the biases alone), the same as dltrain's
`--kernel-regularizer l2:V`. Prints `RESULT {json}` with big_torch.py's figures (samples_per_s_fit,
fit_s, step_ms, load_s, final_loss)."""

import time

STARTED = time.perf_counter()

import argparse
import json


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = torch's default")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0, help="an nn.Dropout(RATE) after each hidden layer")
    parser.add_argument("--l2", type=float, default=0.0, help="Keras's l2(V) on the weights: weight_decay = 2 V")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    import torch
    from torch import nn
    imported = time.perf_counter()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    loading = time.perf_counter()
    table = pd.read_csv(args.csv, header=None, dtype=np.float32).to_numpy()
    features = torch.from_numpy(np.ascontiguousarray(table[:, :-1]))
    label = torch.from_numpy(np.ascontiguousarray(table[:, -1:]))
    load_s = time.perf_counter() - loading
    rows, width = features.shape

    layers = []
    for inputs, outputs in ((width, 256), (256, 256)):
        layers += [nn.Linear(inputs, outputs), nn.ReLU()]
        if args.dropout > 0:
            layers.append(nn.Dropout(args.dropout))
    model = nn.Sequential(*layers, nn.Linear(256, 1), nn.Sigmoid())
    weights, biases = [], []
    for module in model:
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
            weights.append(module.weight)
            biases.append(module.bias)
    optimizer = torch.optim.Adam([dict(params=weights, weight_decay=2 * args.l2), dict(params=biases, weight_decay=0.0)],
                                 lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_function = nn.BCELoss()
    generator = torch.Generator().manual_seed(args.seed)

    model.train()
    steps, epoch_seconds, history = 0, [], []
    fit_started = time.perf_counter()
    for _ in range(args.epochs):
        epoch_started = time.perf_counter()
        loss_sum, seen = 0.0, 0
        for index in torch.randperm(rows, generator=generator).split(args.batch):
            batch_features, batch_label = features[index], label[index]
            loss = loss_function(model(batch_features), batch_label)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
            loss_sum += loss.item() * batch_features.shape[0]
            seen += batch_features.shape[0]
        history.append(loss_sum / seen)
        epoch_seconds.append(time.perf_counter() - epoch_started)
    fit_s = time.perf_counter() - fit_started

    result = dict(impl="torch", dropout=args.dropout, l2=args.l2, weight_decay=2 * args.l2, threads_arg=args.threads,
                  torch_threads=torch.get_num_threads(), rows=rows, features=width, epochs=args.epochs,
                  batch=args.batch, steps=steps, load_s=round(load_s, 3), import_s=round(imported - STARTED, 3),
                  fit_s=round(fit_s, 3), epoch_s=[round(seconds, 3) for seconds in epoch_seconds],
                  samples_per_s_fit=round(rows * args.epochs / fit_s), step_ms=round(fit_s / steps * 1e3, 3),
                  final_loss=history[-1], torch=torch.__version__, numpy=np.__version__)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
