# RUN --security and --device are typed for the engine, which decides whether to allow them.
FROM ubuntu:24.04
RUN --security=insecure mount -t tmpfs none /mnt && echo mounted
RUN --security=sandbox true
RUN --device=nvidia.com/gpu=all,required --device=name=vendor.com/fpga=0 nvidia-smi
