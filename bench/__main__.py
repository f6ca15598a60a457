"""`python -m bench`: see bench/run.py. The load processes are spawned, and each imports this
module first: the run's own imports wait behind the guard so that they stay light."""

if __name__ == "__main__":
    from bench.run import main

    main()
