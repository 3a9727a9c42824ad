"""Where and how computation runs: device and precision, torch.compile, torchrun (DDP), and the
CPU allocator setting. Below the tasks and the trainer, above config: a task uses these without
knowing which trainer runs it.

    device.py       runtime.device / runtime.precision resolution
    compiled.py     torch.compile twins with an eager fallback
    distributed.py  the torchrun launch, DDP wrapping, sharding of random draws
    cpu_memory.py   glibc's mmap/trim thresholds for page-fault-free CPU steps
"""
