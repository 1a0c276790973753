(defn main []
  (println "unbalanced")
