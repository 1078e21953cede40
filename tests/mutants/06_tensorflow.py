"""Plausible wrong answers for notebook 06; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "06_tensorflow"

MUTANTS: dict[str, dict[str, str]] = {
    "tensor_info": {
        "shape_as_tensorshape": '''
def tensor_info(t):
    t = tf.convert_to_tensor(t)
    return len(t.shape), t.shape, t.dtype.name
''',
        "size_not_rank": '''
def tensor_info(t):
    t = tf.convert_to_tensor(t)
    return int(tf.size(t)), tuple(t.shape.as_list()), t.dtype.name
''',
        "dtype_object": '''
def tensor_info(t):
    t = tf.convert_to_tensor(t)
    return t.shape.rank, tuple(t.shape.as_list()), str(t.dtype)
''',
    },
    "pow_of_sum_and_product": {
        "swapped": '''
@tf.function
def pow_of_sum_and_product(x, y):
    return tf.pow(x + y, x * y)
''',
        "sum_times_product": '''
@tf.function
def pow_of_sum_and_product(x, y):
    return (x * y) * (x + y)
''',
    },
    "double_in_place": {
        "new_variable": '''
def double_in_place(v):
    v = tf.Variable(v * 2)
    return v.read_value()
''',
        "returns_variable": '''
def double_in_place(v):
    v.assign(v * 2)
    return v
''',
        "returns_old_value": '''
def double_in_place(v):
    old = v.read_value()
    v.assign(v * 2)
    return old
''',
    },
    "Linear": {
        "variables_in_call": '''
class Linear(tf.Module):
    def __init__(self, in_features, out_features, seed=0, name=None):
        super().__init__(name=name)
        self.shape, self.seed = (in_features, out_features), seed
        self.b = tf.Variable(tf.zeros([out_features]), name="b")
        self.w = tf.Variable(0.1 * tf.random.stateless_normal(self.shape, seed=(seed, 0)), name="w")
    def __call__(self, x):
        self.extra = tf.Variable(tf.zeros([1]))  # a new variable on every call
        return tf.matmul(x, self.w) + self.b
''',
        "transposed_weights": '''
class Linear(tf.Module):
    def __init__(self, in_features, out_features, seed=0, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(0.1 * tf.random.stateless_normal([out_features, in_features], seed=(seed, 0)), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")
    def __call__(self, x):
        return tf.matmul(x, self.w, transpose_b=True) + self.b
''',
        "bias_not_added": '''
class Linear(tf.Module):
    def __init__(self, in_features, out_features, seed=0, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(0.1 * tf.random.stateless_normal([in_features, out_features], seed=(seed, 0)), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")
    def __call__(self, x):
        return tf.matmul(x, self.w)
''',
    },
    "train_step": {
        "loss_after_update": '''
def train_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss_fn(y, model(x))
''',
        "gradient_ascent": '''
def train_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = -loss_fn(y, model(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return -loss
''',
        "numpy_inside": '''
def train_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return float(loss.numpy())
''',
        "loss_arguments_swapped": '''
def train_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(model(x), y)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss
''',
    },
    "make_dataset": {
        "shuffle_once": '''
def make_dataset(x, y, batch_size, shuffle=True, seed=0):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=False)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
''',
        "batch_before_shuffle": '''
def make_dataset(x, y, batch_size, shuffle=True, seed=0):
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed)
    return ds.prefetch(tf.data.AUTOTUNE)
''',
        "small_buffer": '''
def make_dataset(x, y, batch_size, shuffle=True, seed=0):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(8, seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
''',
        "drop_remainder": '''
def make_dataset(x, y, batch_size, shuffle=True, seed=0):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
''',
    },
    "csv_dataset": {
        "shuffled": '''
def csv_dataset(path, label_column, batch_size):
    return tf.data.experimental.make_csv_dataset(path, batch_size=batch_size, label_name=label_column, num_epochs=1, shuffle=True, shuffle_seed=1)
''',
        "label_kept_in_features": '''
def csv_dataset(path, label_column, batch_size):
    ds = tf.data.experimental.make_csv_dataset(path, batch_size=batch_size, num_epochs=1, shuffle=False)
    return ds.map(lambda features: (features, features[label_column]))
''',
        "repeats_forever": '''
def csv_dataset(path, label_column, batch_size):
    return tf.data.experimental.make_csv_dataset(path, batch_size=batch_size, label_name=label_column, num_epochs=2, shuffle=False)
''',
    },
    "train_with_checkpoints": {
        "never_restores": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=max_to_keep)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    if int(step) % save_every:
        manager.save(checkpoint_number=step)
    return int(step)
''',
        "step_not_in_checkpoint": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=max_to_keep)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    if int(step) % save_every:
        manager.save(checkpoint_number=step)
    return int(step)
''',
        "optimizer_not_saved": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=max_to_keep)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    if int(step) % save_every:
        manager.save(checkpoint_number=step)
    return int(step)
''',
        "saves_only_at_the_end": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=max_to_keep)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
    manager.save(checkpoint_number=step)
    return int(step)
''',
        "one_pass_only": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=max_to_keep)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset:
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    manager.save(checkpoint_number=step)
    return int(step)
''',
        "ignores_max_to_keep": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    if int(step) % save_every:
        manager.save(checkpoint_number=step)
    return int(step)
''',
        "keeps_every_checkpoint": '''
def train_with_checkpoints(model, optimizer, dataset, ckpt_dir, total_steps, save_every, max_to_keep=3):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=None)
    ckpt.restore(manager.latest_checkpoint)
    loss_fn = tf.keras.losses.MeanSquaredError()
    for x, y in dataset.repeat():
        if int(step) >= total_steps:
            break
        train_step(model, optimizer, loss_fn, x, y)
        step.assign_add(1)
        if int(step) % save_every == 0:
            manager.save(checkpoint_number=step)
    if int(step) % save_every:
        manager.save(checkpoint_number=step)
    return int(step)
''',
    },
    "log_scalars": {
        "steps_from_one": '''
def log_scalars(logdir, name, values):
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        for step, value in enumerate(values, start=1):
            tf.summary.scalar(name, float(value), step=step)
    writer.flush()
''',
        "last_value_only": '''
def log_scalars(logdir, name, values):
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        tf.summary.scalar(name, float(values[-1]), step=len(values) - 1)
    writer.flush()
''',
    },
    "seeded_weights": {
        "global_seed": '''
def seeded_weights(seed, shape):
    tf.random.set_seed(seed)
    return tf.random.normal(shape).numpy()
''',
        "numpy_generator_uniform": '''
def seeded_weights(seed, shape):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape).astype(np.float32)
''',
        "stateful_op_seed": '''
def seeded_weights(seed, shape):
    return tf.random.normal(shape, seed=seed).numpy()
''',
    },
}
