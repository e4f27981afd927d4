"""The parts of a model file (:mod:`xornet.modelfile`): its metadata record and what it must
hold (:mod:`~xornet._modelfile.schema`), the bounded reader of an untrusted ``.npz``
(:mod:`~xornet._modelfile.archive`), and a training run's state as the file holds it
(:mod:`~xornet._modelfile.state`)."""
