SELEC 'typo';
