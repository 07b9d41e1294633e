#!/bin/bash
# Train on a SLURM cluster through Lightning's SLURM support: srun starts one task per GPU on every
# node and Lightning takes the ranks from the SLURM_* variables (no torchrun, no process handling
# here). --signal asks SLURM for SIGUSR1 two minutes before the time limit: Lightning requeues the
# job, SLURM then sends SIGTERM, and seqtasks stops after the current batch with
# checkpoints/interrupted.ckpt. The requeued job (same job id, same run directory) resumes from it.
#
#   sbatch scripts/slurm_train.sh task=text data=trec data.root=../shared/data/text/trec
#   sbatch --nodes=4 scripts/slurm_train.sh ...          # any overrides of scripts/train.py follow
#
#SBATCH --job-name=seqtasks
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --signal=SIGUSR1@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=slurm-%j.out
set -euo pipefail

RUN_DIR=${RUN_DIR:-runs/slurm/${SLURM_JOB_ID}}
RESUME=false
if [ -e "$RUN_DIR/checkpoints/interrupted.ckpt" ] || [ -e "$RUN_DIR/checkpoints/last.ckpt" ]; then
    RESUME=true   # a requeued job continues its run
fi

srun python scripts/train.py trainer=ddp \
    trainer.devices="$SLURM_NTASKS_PER_NODE" trainer.num_nodes="$SLURM_JOB_NUM_NODES" \
    data.num_workers="$((SLURM_CPUS_PER_TASK - 1))" \
    output_dir="$RUN_DIR" resume="$RESUME" "$@"
