FROM ubuntu:24.04
RUN --security=privileged mount -t tmpfs none /mnt
RUN --device=nvidia.com/gpu=all,count=2 nvidia-smi
RUN --device=name=a,name=b true
RUN --device=nvidia.com/gpu=all,required=maybe true
