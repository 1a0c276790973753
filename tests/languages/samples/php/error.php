<?php
echo "missing semicolon\n"
echo "here\n";
