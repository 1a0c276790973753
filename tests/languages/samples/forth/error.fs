: broken ( -- ) undefined-word-here ;
broken
