"""Plausible wrong answers for notebook 04; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "04_optimization"

MUTANTS: dict[str, dict[str, str]] = {
    "sgd": {
        "ascent": '''
def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w + config["learning_rate"] * dw, config
''',
        "in_place": '''
def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config
''',
        "fixed_learning_rate": '''
def sgd(w, dw, config=None):
    config = {} if config is None else config
    return w - 1e-2 * dw, config
''',
    },
    "sgd_momentum": {
        "old_velocity": '''
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config.get("velocity", np.zeros_like(w))
    next_w = w + velocity
    config["velocity"] = config["momentum"] * velocity - config["learning_rate"] * dw
    return next_w, config
''',
        "velocity_not_kept": '''
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    return w + velocity, config
''',
        "gradient_not_scaled": '''
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = velocity
    return w - config["learning_rate"] * velocity, config
''',
    },
    "nesterov_momentum": {
        "plain_momentum": '''
def nesterov_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config
''',
        "look_ahead_with_old_velocity": '''
def nesterov_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    old = config.get("velocity", np.zeros_like(w))
    config["velocity"] = config["momentum"] * old - config["learning_rate"] * dw
    return w + config["momentum"] * old - config["learning_rate"] * dw, config
''',
    },
    "adagrad": {
        "cache_not_summed": '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config
''',
        "epsilon_inside_root": '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw ** 2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config
''',
        "old_cache_in_step": '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache + dw ** 2
    return next_w, config
''',
    },
    "rmsprop": {
        "decay_swapped": '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    d = config["decay_rate"]
    config["cache"] = (1 - d) * config.get("cache", np.zeros_like(w)) + d * dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config
''',
        "no_square_root": '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    d = config["decay_rate"]
    config["cache"] = d * config.get("cache", np.zeros_like(w)) + (1 - d) * dw ** 2
    return w - config["learning_rate"] * dw / (config["cache"] + config["epsilon"]), config
''',
        "epsilon_inside_root": '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    d = config["decay_rate"]
    config["cache"] = d * config.get("cache", np.zeros_like(w)) + (1 - d) * dw ** 2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config
''',
    },
    "adam": {
        "no_bias_correction": '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config["t"] = config.get("t", 0) + 1
    config["m"] = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
''',
        "counter_after_correction": '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    t = config.get("t", 0)
    config["m"] = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat = config["m"] / (1 - config["beta1"] ** (t + 1))
    v_hat = config["v"] / (1 - config["beta2"] ** t) if t else config["v"]
    config["t"] = t + 1
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''',
        "epsilon_inside_root": '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config["t"] = config.get("t", 0) + 1
    config["m"] = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat = config["m"] / (1 - config["beta1"] ** config["t"])
    v_hat = config["v"] / (1 - config["beta2"] ** config["t"])
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config
''',
        "moments_swapped_betas": '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config["t"] = config.get("t", 0) + 1
    config["m"] = config["beta2"] * config.get("m", np.zeros_like(w)) + (1 - config["beta2"]) * dw
    config["v"] = config["beta1"] * config.get("v", np.zeros_like(w)) + (1 - config["beta1"]) * dw ** 2
    m_hat = config["m"] / (1 - config["beta2"] ** config["t"])
    v_hat = config["v"] / (1 - config["beta1"] ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''',
    },
    "step_decay": {
        "smooth": '''
def step_decay(step, initial_lr, decay_steps, decay_rate):
    return float(initial_lr * decay_rate ** (step / decay_steps))
''',
        "off_by_one": '''
def step_decay(step, initial_lr, decay_steps, decay_rate):
    return float(initial_lr * decay_rate ** ((step + 1) // decay_steps))
''',
    },
    "exponential_decay": {
        "staircase": '''
def exponential_decay(step, initial_lr, decay_steps, decay_rate):
    return float(initial_lr * decay_rate ** (step // decay_steps))
''',
        "per_step": '''
def exponential_decay(step, initial_lr, decay_steps, decay_rate):
    return float(initial_lr * decay_rate ** step / decay_steps)
''',
    },
    "cosine_decay_with_warmup": {
        "warmup_from_zero": '''
def cosine_decay_with_warmup(step, initial_lr, peak_lr, warmup_steps, decay_steps, alpha=0.0):
    if step < warmup_steps:
        return float(peak_lr * step / warmup_steps)
    s = min(step - warmup_steps, decay_steps)
    return float(peak_lr * ((1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * s / decay_steps)) + alpha))
''',
        "no_clamp": '''
def cosine_decay_with_warmup(step, initial_lr, peak_lr, warmup_steps, decay_steps, alpha=0.0):
    if step < warmup_steps:
        return float(initial_lr + (peak_lr - initial_lr) * step / warmup_steps)
    s = step - warmup_steps
    return float(peak_lr * ((1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * s / decay_steps)) + alpha))
''',
        "additive_floor": '''
def cosine_decay_with_warmup(step, initial_lr, peak_lr, warmup_steps, decay_steps, alpha=0.0):
    if step < warmup_steps:
        return float(initial_lr + (peak_lr - initial_lr) * step / warmup_steps)
    s = min(step - warmup_steps, decay_steps)
    return float(peak_lr * (1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * s / decay_steps)) + alpha)
''',
        "decay_counted_from_zero": '''
def cosine_decay_with_warmup(step, initial_lr, peak_lr, warmup_steps, decay_steps, alpha=0.0):
    if step < warmup_steps:
        return float(initial_lr + (peak_lr - initial_lr) * step / warmup_steps)
    s = min(step, decay_steps)
    return float(peak_lr * ((1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * s / decay_steps)) + alpha))
''',
    },
    "clip_by_global_norm": {
        "per_array": '''
def clip_by_global_norm(grads, max_norm):
    norms = [float(np.linalg.norm(g)) for g in grads]
    return [g * max_norm / max(n, max_norm) for g, n in zip(grads, norms)], float(np.sqrt(sum(n ** 2 for n in norms)))
''',
        "always_scaled": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * max_norm / norm for g in grads], norm
''',
        "clipped_norm_returned": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * max_norm / max(norm, max_norm) for g in grads], min(norm, max_norm)
''',
        "in_place": '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    for g in grads:
        g *= max_norm / max(norm, max_norm)
    return list(grads), norm
''',
    },
    "train_with_optimizer": {
        "one_shared_config": '''
def train_with_optimizer(X, y, X_val, y_val, update_rule, config, hidden_size, reg, num_epochs, batch_size, seed=0,
                         lr_schedule=None):
    rng = np.random.default_rng(seed)
    params = nets.init_two_layer_net(X.shape[1], hidden_size, int(y.max()) + 1, rng)
    shared = dict(config)
    history = {"loss": [], "train_acc": [], "val_acc": [], "lr": []}
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            shared["learning_rate"] = lr_schedule(epoch)
        losses = []
        for X_batch, y_batch in nets.iterate_minibatches(X, y, batch_size, rng):
            loss, grads = nets.two_layer_net_loss(params, X_batch, y_batch, reg)
            losses.append(loss)
            for name in params:
                state = {k: v for k, v in shared.items() if not isinstance(v, np.ndarray) or v.shape == params[name].shape}
                params[name], state = update_rule(params[name], grads[name], state)
                shared.update(state)
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(nets.accuracy(params, X, y))
        history["val_acc"].append(nets.accuracy(params, X_val, y_val))
        history["lr"].append(float(shared.get("learning_rate", np.nan)))
    return params, history
''',
        "schedule_ignored": '''
def train_with_optimizer(X, y, X_val, y_val, update_rule, config, hidden_size, reg, num_epochs, batch_size, seed=0,
                         lr_schedule=None):
    rng = np.random.default_rng(seed)
    params = nets.init_two_layer_net(X.shape[1], hidden_size, int(y.max()) + 1, rng)
    configs = {name: dict(config) for name in params}
    history = {"loss": [], "train_acc": [], "val_acc": [], "lr": []}
    for epoch in range(num_epochs):
        losses = []
        for X_batch, y_batch in nets.iterate_minibatches(X, y, batch_size, rng):
            loss, grads = nets.two_layer_net_loss(params, X_batch, y_batch, reg)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update_rule(params[name], grads[name], configs[name])
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(nets.accuracy(params, X, y))
        history["val_acc"].append(nets.accuracy(params, X_val, y_val))
        history["lr"].append(float(configs["W1"].get("learning_rate", np.nan)))
    return params, history
''',
        "new_rng_per_epoch": '''
def train_with_optimizer(X, y, X_val, y_val, update_rule, config, hidden_size, reg, num_epochs, batch_size, seed=0,
                         lr_schedule=None):
    params = nets.init_two_layer_net(X.shape[1], hidden_size, int(y.max()) + 1, np.random.default_rng(seed))
    configs = {name: dict(config) for name in params}
    history = {"loss": [], "train_acc": [], "val_acc": [], "lr": []}
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            for name in params:
                configs[name]["learning_rate"] = lr_schedule(epoch)
        losses = []
        for X_batch, y_batch in nets.iterate_minibatches(X, y, batch_size, np.random.default_rng(seed + epoch)):
            loss, grads = nets.two_layer_net_loss(params, X_batch, y_batch, reg)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update_rule(params[name], grads[name], configs[name])
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(nets.accuracy(params, X, y))
        history["val_acc"].append(nets.accuracy(params, X_val, y_val))
        history["lr"].append(float(configs["W1"].get("learning_rate", np.nan)))
    return params, history
''',
        "loss_after_update": '''
def train_with_optimizer(X, y, X_val, y_val, update_rule, config, hidden_size, reg, num_epochs, batch_size, seed=0,
                         lr_schedule=None):
    rng = np.random.default_rng(seed)
    params = nets.init_two_layer_net(X.shape[1], hidden_size, int(y.max()) + 1, rng)
    configs = {name: dict(config) for name in params}
    history = {"loss": [], "train_acc": [], "val_acc": [], "lr": []}
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            for name in params:
                configs[name]["learning_rate"] = lr_schedule(epoch)
        losses = []
        for X_batch, y_batch in nets.iterate_minibatches(X, y, batch_size, rng):
            _, grads = nets.two_layer_net_loss(params, X_batch, y_batch, reg)
            for name in params:
                params[name], configs[name] = update_rule(params[name], grads[name], configs[name])
            losses.append(nets.two_layer_net_loss(params, X_batch, y_batch, reg)[0])
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(nets.accuracy(params, X, y))
        history["val_acc"].append(nets.accuracy(params, X_val, y_val))
        history["lr"].append(float(configs["W1"].get("learning_rate", np.nan)))
    return params, history
''',
    },
}
