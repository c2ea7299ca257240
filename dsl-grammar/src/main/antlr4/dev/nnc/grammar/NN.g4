grammar NN; program: EOF;
