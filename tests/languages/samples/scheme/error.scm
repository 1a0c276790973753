(define (main)
  (display "unbalanced")
