module streamlayer/bench/reference

go 1.19
